ALTER TABLE "teams" ADD COLUMN "rpm_limit" integer;--> statement-breakpoint
ALTER TABLE "teams" ADD COLUMN "tpm_limit" integer;--> statement-breakpoint
ALTER TABLE "teams" ADD COLUMN "max_parallel_requests" integer;