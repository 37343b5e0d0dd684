CREATE TABLE "dashboard_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"token_hash" text NOT NULL,
	"key_id" text,
	"label" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "dashboard_sessions_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "kind" text DEFAULT 'user' NOT NULL;--> statement-breakpoint
-- Existing keys get their kind: admin keys stay admin; a key with a gateway_keys row is a virtual key,
-- a session key when it was minted for a session. Agents and sessions made before owners existed stay
-- admin-only (owner_key_id null): nothing recorded who created them.
UPDATE "api_keys" SET "kind" = 'admin' WHERE "role" = 'admin';--> statement-breakpoint
UPDATE "api_keys" k SET "kind" = CASE WHEN g."session_id" IS NOT NULL THEN 'session' ELSE 'gateway' END
  FROM "gateway_keys" g WHERE g."key_id" = k."id" AND k."role" <> 'admin';--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "owner_key_id" text;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "owner_key_id" text;--> statement-breakpoint
ALTER TABLE "dashboard_sessions" ADD CONSTRAINT "dashboard_sessions_key_id_api_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."api_keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "dashboard_sessions_key_idx" ON "dashboard_sessions" USING btree ("key_id");--> statement-breakpoint
CREATE INDEX "dashboard_sessions_expires_idx" ON "dashboard_sessions" USING btree ("expires_at");--> statement-breakpoint
ALTER TABLE "agents" ADD CONSTRAINT "agents_owner_key_id_api_keys_id_fk" FOREIGN KEY ("owner_key_id") REFERENCES "public"."api_keys"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_owner_key_id_api_keys_id_fk" FOREIGN KEY ("owner_key_id") REFERENCES "public"."api_keys"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "agents_owner_idx" ON "agents" USING btree ("owner_key_id","created_at");--> statement-breakpoint
CREATE INDEX "sessions_owner_idx" ON "sessions" USING btree ("owner_key_id","created_at");--> statement-breakpoint
-- The status notification carries the session's owner, so each replica's status stream can send a
-- user key only its own sessions' changes (server/sessions/stream/status-routes.ts).
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
    'owner_key_id', r.owner_key_id
  )::text);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;