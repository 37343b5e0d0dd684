CREATE TABLE "linear_agent_sessions" (
	"agent_session_id" text PRIMARY KEY NOT NULL,
	"organization_id" text NOT NULL,
	"session_id" text NOT NULL,
	"agent_id" text NOT NULL,
	"issue_id" text,
	"issue_identifier" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "linear_bindings" (
	"organization_id" text PRIMARY KEY NOT NULL,
	"agent_id" text NOT NULL,
	"lap_team_id" text DEFAULT 'team_default' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "linear_events" (
	"id" text PRIMARY KEY NOT NULL,
	"dedupe_key" text NOT NULL,
	"organization_id" text NOT NULL,
	"agent_session_id" text,
	"action" text NOT NULL,
	"status" text NOT NULL,
	"session_id" text,
	"turn_id" text,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "linear_installations" (
	"organization_id" text PRIMARY KEY NOT NULL,
	"organization_name" text DEFAULT '' NOT NULL,
	"url_key" text DEFAULT '' NOT NULL,
	"app_user_id" text DEFAULT '' NOT NULL,
	"access_token_sealed" text NOT NULL,
	"refresh_token_sealed" text,
	"token_expires_at" timestamp with time zone,
	"scopes" text DEFAULT '' NOT NULL,
	"installed_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "linear_oauth_states" (
	"state" text PRIMARY KEY NOT NULL,
	"created_by" text,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "linear_bindings" ADD CONSTRAINT "linear_bindings_lap_team_id_teams_id_fk" FOREIGN KEY ("lap_team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "linear_agent_sessions_session_idx" ON "linear_agent_sessions" USING btree ("session_id");--> statement-breakpoint
CREATE UNIQUE INDEX "linear_events_dedupe_uq" ON "linear_events" USING btree ("dedupe_key");--> statement-breakpoint
CREATE INDEX "linear_events_created_idx" ON "linear_events" USING btree ("created_at");