CREATE TABLE "slack_bindings" (
	"id" text PRIMARY KEY NOT NULL,
	"team_id" text DEFAULT '*' NOT NULL,
	"channel_id" text DEFAULT '*' NOT NULL,
	"agent_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "slack_dm_allowlist" (
	"team_id" text DEFAULT '*' NOT NULL,
	"user_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "slack_dm_allowlist_team_id_user_id_pk" PRIMARY KEY("team_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "slack_events" (
	"id" text PRIMARY KEY NOT NULL,
	"event_id" text NOT NULL,
	"team_id" text NOT NULL,
	"channel_id" text NOT NULL,
	"message_ts" text NOT NULL,
	"thread_ts" text NOT NULL,
	"user_id" text NOT NULL,
	"kind" text NOT NULL,
	"text" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"agent_id" text,
	"session_id" text,
	"turn_id" text,
	"error" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"duplicates" integer DEFAULT 0 NOT NULL,
	"last_retry_reason" text,
	"meta" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "slack_installations" (
	"team_id" text PRIMARY KEY NOT NULL,
	"team_name" text DEFAULT '' NOT NULL,
	"app_id" text,
	"bot_user_id" text NOT NULL,
	"bot_token_sealed" text NOT NULL,
	"scopes" text DEFAULT '' NOT NULL,
	"installed_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "slack_oauth_states" (
	"state" text PRIMARY KEY NOT NULL,
	"created_by" text,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "slack_threads" (
	"team_id" text NOT NULL,
	"channel_id" text NOT NULL,
	"thread_ts" text NOT NULL,
	"session_id" text NOT NULL,
	"agent_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "slack_threads_team_id_channel_id_thread_ts_pk" PRIMARY KEY("team_id","channel_id","thread_ts")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "slack_bindings_scope_uq" ON "slack_bindings" USING btree ("team_id","channel_id");--> statement-breakpoint
CREATE UNIQUE INDEX "slack_events_event_id_uq" ON "slack_events" USING btree ("event_id");--> statement-breakpoint
CREATE UNIQUE INDEX "slack_events_message_uq" ON "slack_events" USING btree ("team_id","channel_id","message_ts");--> statement-breakpoint
CREATE INDEX "slack_events_created_at_idx" ON "slack_events" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "slack_events_status_idx" ON "slack_events" USING btree ("status","updated_at");--> statement-breakpoint
CREATE INDEX "slack_threads_session_idx" ON "slack_threads" USING btree ("session_id");