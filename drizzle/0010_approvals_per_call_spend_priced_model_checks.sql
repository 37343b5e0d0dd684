CREATE TABLE "gateway_model_checks" (
	"model_name" text PRIMARY KEY NOT NULL,
	"ok" boolean NOT NULL,
	"latency_ms" integer NOT NULL,
	"error" text,
	"checked_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
DROP INDEX "approvals_session_tool_use_uq";--> statement-breakpoint
ALTER TABLE "gateway_spend_logs" ADD COLUMN "priced" boolean;--> statement-breakpoint
CREATE UNIQUE INDEX "approvals_session_event_uq" ON "approvals" USING btree ("session_id","event_seq");--> statement-breakpoint
CREATE UNIQUE INDEX "approvals_pending_call_uq" ON "approvals" USING btree ("session_id","tool_use_id") WHERE status = 'pending';