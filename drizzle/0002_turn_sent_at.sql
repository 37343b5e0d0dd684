ALTER TABLE "session_turns" ADD COLUMN "sent_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "session_turns" ADD COLUMN "remote_event_id" text;--> statement-breakpoint
-- Turns from before this column: the runtime had the message if the turn ended normally or stored runtime events.
UPDATE "session_turns" t SET "sent_at" = coalesce(t."started_at", t."created_at")
WHERE t."status" IN ('completed', 'interrupted')
   OR EXISTS (SELECT 1 FROM "session_events" e WHERE e."session_id" = t."session_id" AND e."turn_id" = t."id" AND e."provider_event_id" IS NOT NULL);
