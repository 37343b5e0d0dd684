CREATE TABLE "gateway_keys" (
	"key_id" text PRIMARY KEY NOT NULL,
	"key_alias" text,
	"models" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"max_budget" double precision,
	"budget_duration" text,
	"budget_reset_at" timestamp with time zone,
	"spend" double precision DEFAULT 0 NOT NULL,
	"rpm_limit" integer,
	"tpm_limit" integer,
	"max_parallel_requests" integer,
	"user_id" text,
	"team_id" text,
	"session_id" text,
	"agent_id" text,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "gateway_models" (
	"id" text PRIMARY KEY NOT NULL,
	"model_name" text NOT NULL,
	"litellm_params" jsonb NOT NULL,
	"api_key_sealed" text,
	"model_info" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "gateway_spend_logs" (
	"request_id" text PRIMARY KEY NOT NULL,
	"key_hash" text,
	"key_id" text,
	"key_alias" text,
	"route" text NOT NULL,
	"model_group" text,
	"deployment" text,
	"provider" text,
	"api_base" text,
	"prompt_tokens" integer DEFAULT 0 NOT NULL,
	"completion_tokens" integer DEFAULT 0 NOT NULL,
	"total_tokens" integer DEFAULT 0 NOT NULL,
	"spend" double precision DEFAULT 0 NOT NULL,
	"latency_ms" double precision,
	"ttft_ms" double precision,
	"stream" integer DEFAULT 0 NOT NULL,
	"status" text NOT NULL,
	"http_status" integer,
	"error" text,
	"attempts" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"session_id" text,
	"agent_id" text,
	"end_user" text,
	"request_body" jsonb,
	"response_body" jsonb,
	"start_time" timestamp with time zone NOT NULL,
	"end_time" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "mcp_grants" (
	"id" text PRIMARY KEY NOT NULL,
	"server_id" text NOT NULL,
	"subject_type" text NOT NULL,
	"subject_id" text NOT NULL,
	"tools" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "mcp_oauth_flows" (
	"state" text PRIMARY KEY NOT NULL,
	"server_id" text NOT NULL,
	"user_id" text NOT NULL,
	"sealed" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "mcp_servers" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"transport" text NOT NULL,
	"config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"auth_type" text DEFAULT 'none' NOT NULL,
	"auth_config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"secrets_sealed" text,
	"variables" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"allowed_tools" jsonb,
	"disabled_tools" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"timeout_ms" integer,
	"log_payloads" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "mcp_servers_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "mcp_tool_calls" (
	"id" text PRIMARY KEY NOT NULL,
	"server_id" text,
	"server_name" text NOT NULL,
	"tool" text NOT NULL,
	"key_id" text,
	"caller_label" text NOT NULL,
	"user_id" text,
	"agent_id" text,
	"session_id" text,
	"status" text NOT NULL,
	"duration_ms" integer NOT NULL,
	"error" text,
	"arguments" jsonb,
	"result" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "mcp_user_credentials" (
	"server_id" text NOT NULL,
	"user_id" text NOT NULL,
	"sealed" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "mcp_user_credentials_server_id_user_id_pk" PRIMARY KEY("server_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "runtime_agents" (
	"runtime_id" text NOT NULL,
	"agent_id" text NOT NULL,
	"remote_agent_id" text NOT NULL,
	"remote_environment_id" text,
	"signature" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "runtime_agents_runtime_id_agent_id_pk" PRIMARY KEY("runtime_id","agent_id")
);
--> statement-breakpoint
CREATE TABLE "runtimes" (
	"id" text PRIMARY KEY NOT NULL,
	"alias" text NOT NULL,
	"protocol" text NOT NULL,
	"base_url" text NOT NULL,
	"api_key_sealed" text NOT NULL,
	"status" text DEFAULT 'unknown' NOT NULL,
	"status_message" text,
	"checked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "runtimes_alias_unique" UNIQUE("alias")
);
--> statement-breakpoint
CREATE TABLE "agents" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"model" text NOT NULL,
	"system_prompt" text DEFAULT '' NOT NULL,
	"runtime_id" text,
	"harness" text DEFAULT 'default' NOT NULL,
	"tools" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"mcp_servers" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"skill_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"rule_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"vault_keys" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"environment" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"repo_url" text,
	"repo_branch" text,
	"max_runtime_minutes" integer DEFAULT 30 NOT NULL,
	"idle_timeout_minutes" integer DEFAULT 60 NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "agents_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "session_events" (
	"session_id" text NOT NULL,
	"seq" bigint NOT NULL,
	"type" text NOT NULL,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"turn_id" text,
	"provider_event_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "session_events_session_id_seq_pk" PRIMARY KEY("session_id","seq")
);
--> statement-breakpoint
CREATE TABLE "session_turns" (
	"id" text PRIMARY KEY NOT NULL,
	"session_id" text NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"content" jsonb NOT NULL,
	"user_seq" bigint NOT NULL,
	"interrupt_requested" boolean DEFAULT false NOT NULL,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"agent_id" text,
	"title" text DEFAULT '' NOT NULL,
	"status" text DEFAULT 'creating' NOT NULL,
	"runtime_id" text,
	"remote_session_id" text,
	"error" text,
	"last_seq" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
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
ALTER TABLE "gateway_keys" ADD CONSTRAINT "gateway_keys_key_id_api_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."api_keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mcp_grants" ADD CONSTRAINT "mcp_grants_server_id_mcp_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."mcp_servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mcp_oauth_flows" ADD CONSTRAINT "mcp_oauth_flows_server_id_mcp_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."mcp_servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mcp_user_credentials" ADD CONSTRAINT "mcp_user_credentials_server_id_mcp_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."mcp_servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runtime_agents" ADD CONSTRAINT "runtime_agents_runtime_id_runtimes_id_fk" FOREIGN KEY ("runtime_id") REFERENCES "public"."runtimes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agents" ADD CONSTRAINT "agents_runtime_id_runtimes_id_fk" FOREIGN KEY ("runtime_id") REFERENCES "public"."runtimes"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "session_events" ADD CONSTRAINT "session_events_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "session_turns" ADD CONSTRAINT "session_turns_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "gateway_spend_logs_start_idx" ON "gateway_spend_logs" USING btree ("start_time");--> statement-breakpoint
CREATE INDEX "gateway_spend_logs_key_idx" ON "gateway_spend_logs" USING btree ("key_id","start_time");--> statement-breakpoint
CREATE INDEX "gateway_spend_logs_session_idx" ON "gateway_spend_logs" USING btree ("session_id");--> statement-breakpoint
CREATE UNIQUE INDEX "mcp_grants_subject_server_idx" ON "mcp_grants" USING btree ("subject_type","subject_id","server_id");--> statement-breakpoint
CREATE INDEX "mcp_tool_calls_created_at_idx" ON "mcp_tool_calls" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "mcp_tool_calls_server_idx" ON "mcp_tool_calls" USING btree ("server_name","created_at");--> statement-breakpoint
CREATE INDEX "mcp_tool_calls_session_idx" ON "mcp_tool_calls" USING btree ("session_id");--> statement-breakpoint
CREATE INDEX "agents_created_at_idx" ON "agents" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "session_events_provider_uq" ON "session_events" USING btree ("session_id","turn_id","provider_event_id") WHERE provider_event_id is not null;--> statement-breakpoint
CREATE INDEX "session_turns_queue_idx" ON "session_turns" USING btree ("session_id","status","created_at");--> statement-breakpoint
CREATE INDEX "session_turns_open_idx" ON "session_turns" USING btree ("session_id") WHERE status in ('queued', 'running');--> statement-breakpoint
CREATE INDEX "sessions_created_at_idx" ON "sessions" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "sessions_agent_idx" ON "sessions" USING btree ("agent_id","created_at");--> statement-breakpoint
CREATE INDEX "sessions_status_idx" ON "sessions" USING btree ("status");--> statement-breakpoint
CREATE INDEX "sandboxes_agent_status_idx" ON "sandboxes" USING btree ("agent_id","status");--> statement-breakpoint
CREATE INDEX "sandboxes_session_idx" ON "sandboxes" USING btree ("session_id");--> statement-breakpoint
CREATE UNIQUE INDEX "slack_bindings_scope_uq" ON "slack_bindings" USING btree ("team_id","channel_id");--> statement-breakpoint
CREATE UNIQUE INDEX "slack_events_event_id_uq" ON "slack_events" USING btree ("event_id");--> statement-breakpoint
CREATE UNIQUE INDEX "slack_events_message_uq" ON "slack_events" USING btree ("team_id","channel_id","message_ts");--> statement-breakpoint
CREATE INDEX "slack_events_created_at_idx" ON "slack_events" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "slack_events_status_idx" ON "slack_events" USING btree ("status","updated_at");--> statement-breakpoint
CREATE INDEX "slack_threads_session_idx" ON "slack_threads" USING btree ("session_id");