CREATE TABLE "invitations" (
	"id" text PRIMARY KEY NOT NULL,
	"token_hash" text NOT NULL,
	"user_id" text NOT NULL,
	"created_by" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"accepted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "invitations_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "oidc_flows" (
	"state" text PRIMARY KEY NOT NULL,
	"nonce" text NOT NULL,
	"code_verifier" text NOT NULL,
	"return_to" text DEFAULT '/' NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "team_members" (
	"team_id" text NOT NULL,
	"user_id" text NOT NULL,
	"role" text DEFAULT 'member' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "team_members_team_id_user_id_pk" PRIMARY KEY("team_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "teams" (
	"id" text PRIMARY KEY NOT NULL,
	"alias" text NOT NULL,
	"models" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"max_budget" double precision,
	"budget_duration" text,
	"budget_reset_at" timestamp with time zone,
	"spend" double precision DEFAULT 0 NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"blocked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" text PRIMARY KEY NOT NULL,
	"email" text,
	"name" text DEFAULT '' NOT NULL,
	"role" text DEFAULT 'member' NOT NULL,
	"password_hash" text,
	"oidc_issuer" text,
	"oidc_subject" text,
	"models" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"max_budget" double precision,
	"budget_duration" text,
	"budget_reset_at" timestamp with time zone,
	"spend" double precision DEFAULT 0 NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"disabled_at" timestamp with time zone,
	"last_login_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_email_unique" UNIQUE("email")
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "user_id" text;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "team_id" text;--> statement-breakpoint
ALTER TABLE "dashboard_sessions" ADD COLUMN "user_id" text;--> statement-breakpoint
ALTER TABLE "gateway_spend_logs" ADD COLUMN "user_id" text;--> statement-breakpoint
ALTER TABLE "gateway_spend_logs" ADD COLUMN "team_id" text;--> statement-breakpoint
ALTER TABLE "mcp_servers" ADD COLUMN "team_id" text;--> statement-breakpoint
ALTER TABLE "runtimes" ADD COLUMN "team_id" text;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "team_id" text DEFAULT 'team_default' NOT NULL;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "owner_user_id" text;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "team_id" text DEFAULT 'team_default' NOT NULL;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "owner_user_id" text;--> statement-breakpoint
ALTER TABLE "slack_bindings" ADD COLUMN "lap_team_id" text DEFAULT 'team_default' NOT NULL;--> statement-breakpoint
ALTER TABLE "vault_secrets" ADD COLUMN "team_id" text;--> statement-breakpoint
-- Upgrading (docs/security.md "Users, teams and roles"): everything that belonged to no one (made with
-- the master key, an admin key, Slack or LAP) stays in the Default team (the column default), which has
-- no members: admins only, as before. Each existing user key gets a team of its own holding what it
-- created, so it sees exactly what it saw before and nobody else's. Runtimes, vault secrets and MCP
-- servers stay org-wide (team null).
INSERT INTO "teams" ("id", "alias") VALUES ('team_default', 'Default');--> statement-breakpoint
INSERT INTO "teams" ("id", "alias")
  SELECT 'team_k_' || "id", 'Key: ' || "label" FROM "api_keys" WHERE "kind" = 'user';--> statement-breakpoint
UPDATE "api_keys" SET "team_id" = 'team_k_' || "id" WHERE "kind" = 'user';--> statement-breakpoint
UPDATE "agents" a SET "team_id" = 'team_k_' || k."id" FROM "api_keys" k WHERE k."id" = a."owner_key_id" AND k."kind" = 'user';--> statement-breakpoint
UPDATE "sessions" s SET "team_id" = 'team_k_' || k."id" FROM "api_keys" k WHERE k."id" = s."owner_key_id" AND k."kind" = 'user';--> statement-breakpoint
UPDATE "slack_bindings" b SET "lap_team_id" = a."team_id" FROM "agents" a WHERE a."id" = b."agent_id";--> statement-breakpoint
ALTER TABLE "invitations" ADD CONSTRAINT "invitations_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "team_members" ADD CONSTRAINT "team_members_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "team_members" ADD CONSTRAINT "team_members_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "invitations_user_idx" ON "invitations" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "team_members_user_idx" ON "team_members" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "users_oidc_identity_uq" ON "users" USING btree ("oidc_issuer","oidc_subject");--> statement-breakpoint
CREATE INDEX "users_created_at_idx" ON "users" USING btree ("created_at");--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dashboard_sessions" ADD CONSTRAINT "dashboard_sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mcp_servers" ADD CONSTRAINT "mcp_servers_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runtimes" ADD CONSTRAINT "runtimes_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agents" ADD CONSTRAINT "agents_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agents" ADD CONSTRAINT "agents_owner_user_id_users_id_fk" FOREIGN KEY ("owner_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_owner_user_id_users_id_fk" FOREIGN KEY ("owner_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "slack_bindings" ADD CONSTRAINT "slack_bindings_lap_team_id_teams_id_fk" FOREIGN KEY ("lap_team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vault_secrets" ADD CONSTRAINT "vault_secrets_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_keys_user_idx" ON "api_keys" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "dashboard_sessions_user_idx" ON "dashboard_sessions" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "gateway_spend_logs_team_idx" ON "gateway_spend_logs" USING btree ("team_id","start_time");--> statement-breakpoint
CREATE INDEX "gateway_spend_logs_user_idx" ON "gateway_spend_logs" USING btree ("user_id","start_time");--> statement-breakpoint
CREATE INDEX "agents_team_idx" ON "agents" USING btree ("team_id","created_at");--> statement-breakpoint
CREATE INDEX "sessions_team_idx" ON "sessions" USING btree ("team_id","created_at");;--> statement-breakpoint
-- The status notification carries the session's team too, so each replica's status stream sends a
-- member only its teams' sessions (server/sessions/stream/status-routes.ts).
CREATE OR REPLACE FUNCTION lap_notify_session_status() RETURNS trigger AS $$
DECLARE
  r sessions%ROWTYPE;
BEGIN
  IF TG_OP = 'DELETE' THEN
    r := OLD;
  ELSE
    r := NEW;
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.status IS NOT DISTINCT FROM NEW.status THEN
    RETURN NULL;
  END IF;
  PERFORM pg_notify('lap_session_status', json_build_object(
    'op', lower(TG_OP),
    'id', r.id,
    'agent_id', r.agent_id,
    'status', r.status,
    'error', left(r.error, 500),
    'updated_at', r.updated_at,
    'owner_key_id', r.owner_key_id,
    'team_id', r.team_id
  )::text);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;