CREATE TABLE "slack_seen_requests" (
	"signature" text PRIMARY KEY NOT NULL,
	"seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "gateway_models" ADD COLUMN "params_sealed" text;