-- Session status changes go out on NOTIFY lap_session_status, whichever code path or replica made
-- them: the dashboard's live sessions list listens through every replica's bus. Only inserts,
-- deletes and real status changes notify (event appends touch last_seq/updated_at, not status).
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
    'updated_at', r.updated_at
  )::text);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER sessions_status_notify
  AFTER INSERT OR DELETE OR UPDATE OF status ON sessions
  FOR EACH ROW EXECUTE FUNCTION lap_notify_session_status();
