DROP INDEX "schedules_owner_idx";--> statement-breakpoint
DROP INDEX "triggers_owner_idx";--> statement-breakpoint
ALTER TABLE "schedules" ADD COLUMN "team_id" text DEFAULT 'team_default' NOT NULL;--> statement-breakpoint
ALTER TABLE "schedules" ADD COLUMN "owner_user_id" text;--> statement-breakpoint
ALTER TABLE "triggers" ADD COLUMN "team_id" text DEFAULT 'team_default' NOT NULL;--> statement-breakpoint
ALTER TABLE "triggers" ADD COLUMN "owner_user_id" text;--> statement-breakpoint
ALTER TABLE "schedules" ADD CONSTRAINT "schedules_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "triggers" ADD CONSTRAINT "triggers_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "schedules_team_idx" ON "schedules" USING btree ("team_id","created_at");--> statement-breakpoint
CREATE INDEX "triggers_team_idx" ON "triggers" USING btree ("team_id","created_at");--> statement-breakpoint
-- Schedules and triggers join their agent's team (docs/schedules.md "Who may do what"), like the
-- sessions they start; an owner key's user, if it has one, is their creator too.
UPDATE "schedules" s SET "team_id" = a."team_id" FROM "agents" a WHERE a."id" = s."agent_id";--> statement-breakpoint
UPDATE "triggers" t SET "team_id" = a."team_id" FROM "agents" a WHERE a."id" = t."agent_id";--> statement-breakpoint
UPDATE "schedules" s SET "owner_user_id" = k."user_id" FROM "api_keys" k WHERE k."id" = s."owner_key_id";--> statement-breakpoint
UPDATE "triggers" t SET "owner_user_id" = k."user_id" FROM "api_keys" k WHERE k."id" = t."owner_key_id";
