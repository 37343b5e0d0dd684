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
ALTER TABLE "agents" ADD COLUMN "egress_allow_hosts" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
CREATE INDEX "egress_records_session_idx" ON "egress_records" USING btree ("session_id","id");--> statement-breakpoint
CREATE INDEX "egress_records_sandbox_idx" ON "egress_records" USING btree ("sandbox_id","id");--> statement-breakpoint
CREATE INDEX "egress_records_created_idx" ON "egress_records" USING btree ("created_at");