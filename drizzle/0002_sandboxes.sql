CREATE TABLE "sandboxes" (
	"id" text PRIMARY KEY NOT NULL,
	"sandbox_id" text,
	"provider" text NOT NULL,
	"agent_id" text NOT NULL,
	"session_id" text,
	"workspace_id" text NOT NULL,
	"spec_hash" text NOT NULL,
	"status" text NOT NULL,
	"reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ready_at" timestamp with time zone,
	"claimed_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "sandboxes_agent_status_idx" ON "sandboxes" USING btree ("agent_id","status");--> statement-breakpoint
CREATE INDEX "sandboxes_session_idx" ON "sandboxes" USING btree ("session_id");