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
ALTER TABLE "gateway_keys" ADD CONSTRAINT "gateway_keys_key_id_api_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."api_keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "gateway_spend_logs_start_idx" ON "gateway_spend_logs" USING btree ("start_time");--> statement-breakpoint
CREATE INDEX "gateway_spend_logs_key_idx" ON "gateway_spend_logs" USING btree ("key_id","start_time");--> statement-breakpoint
CREATE INDEX "gateway_spend_logs_session_idx" ON "gateway_spend_logs" USING btree ("session_id");