CREATE TABLE "schedule_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"schedule_id" text NOT NULL,
	"slot_at" timestamp with time zone,
	"trigger" text NOT NULL,
	"status" text NOT NULL,
	"session_id" text,
	"turn_id" text,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "schedules" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"agent_id" text NOT NULL,
	"cron" text NOT NULL,
	"timezone" text NOT NULL,
	"prompt" text NOT NULL,
	"session_mode" text DEFAULT 'new' NOT NULL,
	"session_id" text,
	"concurrency" text DEFAULT 'skip' NOT NULL,
	"catch_up" boolean DEFAULT false NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"next_run_at" timestamp with time zone,
	"last_run_at" timestamp with time zone,
	"owner_key_id" text,
	"created_by" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "trigger_deliveries" (
	"id" text PRIMARY KEY NOT NULL,
	"trigger_id" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"body_sha256" text NOT NULL,
	"status" text DEFAULT 'started' NOT NULL,
	"session_id" text,
	"turn_id" text,
	"error" text,
	"callback_status" text DEFAULT 'none' NOT NULL,
	"callback_attempts" integer DEFAULT 0 NOT NULL,
	"callback_next_at" timestamp with time zone,
	"callback_error" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "triggers" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"agent_id" text NOT NULL,
	"prompt_template" text NOT NULL,
	"session_mode" text DEFAULT 'new' NOT NULL,
	"session_id" text,
	"callback_url" text,
	"secret_sealed" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"owner_key_id" text,
	"created_by" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "schedule_runs" ADD CONSTRAINT "schedule_runs_schedule_id_schedules_id_fk" FOREIGN KEY ("schedule_id") REFERENCES "public"."schedules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "schedules" ADD CONSTRAINT "schedules_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trigger_deliveries" ADD CONSTRAINT "trigger_deliveries_trigger_id_triggers_id_fk" FOREIGN KEY ("trigger_id") REFERENCES "public"."triggers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "triggers" ADD CONSTRAINT "triggers_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "schedule_runs_slot_uq" ON "schedule_runs" USING btree ("schedule_id","slot_at");--> statement-breakpoint
CREATE INDEX "schedule_runs_history_idx" ON "schedule_runs" USING btree ("schedule_id","created_at");--> statement-breakpoint
CREATE INDEX "schedule_runs_open_idx" ON "schedule_runs" USING btree ("schedule_id") WHERE status in ('pending', 'started');--> statement-breakpoint
CREATE INDEX "schedules_due_idx" ON "schedules" USING btree ("next_run_at") WHERE status = 'active';--> statement-breakpoint
CREATE INDEX "schedules_owner_idx" ON "schedules" USING btree ("owner_key_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "trigger_deliveries_key_uq" ON "trigger_deliveries" USING btree ("trigger_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "trigger_deliveries_history_idx" ON "trigger_deliveries" USING btree ("trigger_id","received_at");--> statement-breakpoint
CREATE INDEX "trigger_deliveries_open_idx" ON "trigger_deliveries" USING btree ("status") WHERE status = 'started';--> statement-breakpoint
CREATE INDEX "trigger_deliveries_callback_idx" ON "trigger_deliveries" USING btree ("callback_next_at") WHERE callback_status = 'pending';--> statement-breakpoint
CREATE INDEX "triggers_owner_idx" ON "triggers" USING btree ("owner_key_id","created_at");