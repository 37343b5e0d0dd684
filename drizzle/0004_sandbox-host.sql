-- Host sandboxes (LAP_SANDBOX=local or process) are processes on one machine; with several replicas on one
-- database each must claim, count, recover and reap only its own. `host` is that machine's id (LAP_HOST_ID, by
-- default an id kept in LAP_DATA_DIR/host-id); kubernetes rows keep null (the cluster is shared).
-- Existing rows stay null: SQL cannot know which machine wrote them, and adopting them is impossible too (a host
-- sandbox is reachable only through the in-memory entry of the LAP process that started it, and dies with it).
-- So a null host row is "unknown, never claimed": no host claims it, counts it or reaps it, because it may belong
-- to an older replica still running during a rolling upgrade. A session whose last row is null still finds its
-- workspace by session id and gets a new sandbox (its old row is marked dead when it cannot be adopted).
ALTER TABLE "sandboxes" ADD COLUMN "host" text;--> statement-breakpoint
CREATE INDEX "sandboxes_host_status_idx" ON "sandboxes" USING btree ("host","status");