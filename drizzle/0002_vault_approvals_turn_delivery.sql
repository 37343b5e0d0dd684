CREATE TABLE "egress_records" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"sandbox_id" text NOT NULL,
	"session_id" text,
	"agent_id" text,
	"method" text NOT NULL,
	"host" text NOT NULL,
	"outcome" text NOT NULL,
	"swapped" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"refused" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "vault_secrets" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"value_sealed" text NOT NULL,
	"value_hint" text NOT NULL,
	"hosts" jsonb NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"rotated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	CONSTRAINT "vault_secrets_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "approvals" (
	"id" text PRIMARY KEY NOT NULL,
	"session_id" text NOT NULL,
	"agent_id" text,
	"tool_use_id" text NOT NULL,
	"tool_name" text NOT NULL,
	"input" jsonb,
	"status" text DEFAULT 'pending' NOT NULL,
	"event_seq" bigint,
	"decided_by" text,
	"message" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"decided_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "approval_required_tools" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "egress_allow_hosts" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "session_turns" ADD COLUMN "sent_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "session_turns" ADD COLUMN "remote_event_id" text;--> statement-breakpoint
-- Turns from before this column: the runtime had the message if the turn ended normally or stored runtime events.
UPDATE "session_turns" t SET "sent_at" = coalesce(t."started_at", t."created_at")
WHERE t."status" IN ('completed', 'interrupted')
   OR EXISTS (SELECT 1 FROM "session_events" e WHERE e."session_id" = t."session_id" AND e."turn_id" = t."id" AND e."provider_event_id" IS NOT NULL);--> statement-breakpoint
ALTER TABLE "approvals" ADD CONSTRAINT "approvals_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "egress_records_session_idx" ON "egress_records" USING btree ("session_id","id");--> statement-breakpoint
CREATE INDEX "egress_records_sandbox_idx" ON "egress_records" USING btree ("sandbox_id","id");--> statement-breakpoint
CREATE INDEX "egress_records_created_idx" ON "egress_records" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "approvals_session_tool_use_uq" ON "approvals" USING btree ("session_id","tool_use_id");--> statement-breakpoint
CREATE INDEX "approvals_status_idx" ON "approvals" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "approvals_session_idx" ON "approvals" USING btree ("session_id","created_at");