ALTER TABLE "agents" ADD COLUMN "generate_titles" boolean DEFAULT true NOT NULL;--> statement-breakpoint
CREATE INDEX "gateway_spend_logs_agent_idx" ON "gateway_spend_logs" USING btree ("agent_id","start_time");--> statement-breakpoint
-- ==== Custom SQL (titles branch, issue 19: titles and search; drizzle cannot express these) ====
-- Full-text search over session titles and message text (docs/sessions.md "Search"): built-in
-- to_tsvector ('english'), which PostgreSQL and PGlite both have; the expressions must match
-- server/sessions/search/service.ts exactly for the planner to use these indexes.
CREATE INDEX "session_events_fts_idx" ON "session_events" USING gin (to_tsvector('english'::regconfig, jsonb_path_query_array("data", '$.content[*].text'))) WHERE "type" IN ('user.message', 'agent.message');--> statement-breakpoint
CREATE INDEX "sessions_title_fts_idx" ON "sessions" USING gin (to_tsvector('english'::regconfig, "title"));--> statement-breakpoint
-- The status notification also goes out when a title changes (a generated title or a rename), and
-- carries it, so the dashboard's lists update live (server/sessions/stream/status-routes.ts).
CREATE OR REPLACE FUNCTION lap_notify_session_status() RETURNS trigger AS $$
DECLARE
  r sessions%ROWTYPE;
BEGIN
  IF TG_OP = 'DELETE' THEN
    r := OLD;
  ELSE
    r := NEW;
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.status IS NOT DISTINCT FROM NEW.status AND OLD.title IS NOT DISTINCT FROM NEW.title THEN
    RETURN NULL;
  END IF;
  PERFORM pg_notify('lap_session_status', json_build_object(
    'op', lower(TG_OP),
    'id', r.id,
    'agent_id', r.agent_id,
    'status', r.status,
    'error', left(r.error, 500),
    'updated_at', r.updated_at,
    'title', left(r.title, 200),
    'owner_key_id', r.owner_key_id,
    'team_id', r.team_id
  )::text);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;--> statement-breakpoint
DROP TRIGGER IF EXISTS sessions_status_notify ON sessions;--> statement-breakpoint
CREATE TRIGGER sessions_status_notify
  AFTER INSERT OR DELETE OR UPDATE OF status, title ON sessions
  FOR EACH ROW EXECUTE FUNCTION lap_notify_session_status();
-- ==== End of custom SQL ====
