import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sessionHarness, type SessionHarness } from "../../test/support/session-harness";
import { pruneWorkspaces } from "./retention";

let h: SessionHarness;
beforeAll(async () => {
  h = await sessionHarness();
}, 60_000);
afterAll(() => h?.close());

const HOST = "host-a";
let n = 0;
/** A workspace dir and a sandbox row for it (status, host), last changed `daysAgo`. */
async function workspace(
  dir: string,
  sessionId: string | null,
  status: string,
  daysAgo: number,
  host: string | null = HOST,
  provider = "local",
) {
  const ws = `ws_ret_${++n}`;
  mkdirSync(join(dir, ws));
  writeFileSync(join(dir, ws, "out.txt"), "agent output");
  await h.t.database.query(
    `insert into sandboxes (id, provider, host, agent_id, session_id, workspace_id, spec_hash, status, updated_at) values ($1, $2, $3, $4, $5, $6, 'h', $7, now() - make_interval(days => $8::int))`,
    [`sbr_ret_${n}`, provider, host, h.agentId, sessionId, ws, status, daysAgo],
  );
  return ws;
}

test("a workspace goes LAP_WORKSPACE_RETENTION_DAYS after its session ended, on its own host only; 0 keeps it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "lap-retention-"));
  const outside = mkdtempSync(join(tmpdir(), "lap-retention-outside-"));
  writeFileSync(join(outside, "keep.txt"), "not LAP's");
  const ended = (await h.createSession()).id as string;
  await h.waitForStatus(ended, "idle");
  expect((await h.t.json("POST", `/api/sessions/${ended}/stop`)).status).toBe(200);
  await h.t.database.query(`update sessions set updated_at = now() - interval '40 days' where id = $1`, [ended]);
  const open = (await h.createSession()).id as string;
  await h.waitForStatus(open, "idle");
  await h.t.database.query(`update sessions set updated_at = now() - interval '40 days' where id = $1`, [open]);

  const old = await workspace(dir, ended, "dead", 40);
  // The agent left a link to a folder outside: removing the workspace removes the link, not what it names.
  symlinkSync(outside, join(dir, old, "escape"));
  const recent = await workspace(dir, ended, "dead", 2);
  const stillOpen = await workspace(dir, open, "stopped", 40);
  const deleted = await workspace(dir, "ses_gone_long_ago", "dead", 40);
  const otherHost = await workspace(dir, ended, "dead", 40, "host-b");
  const running = await workspace(dir, ended, "claimed", 40);
  // A kubernetes session's kept copy (no host on its row) goes the same way; a crash's half-made copy after an hour.
  const keptCopy = await workspace(dir, ended, "dead", 40, null, "kubernetes");
  mkdirSync(join(dir, ".ws_k.partial-0a1b"));
  utimesSync(join(dir, ".ws_k.partial-0a1b"), new Date(Date.now() - 2 * 3_600_000), new Date(Date.now() - 2 * 3_600_000));
  mkdirSync(join(dir, ".ws_k.partial-beef"));

  expect(await pruneWorkspaces({ database: h.t.database, workspacesDir: dir, hostId: HOST }, 0)).toEqual([]);
  const removed = await pruneWorkspaces({ database: h.t.database, workspacesDir: dir, hostId: HOST }, 30);
  expect(removed.sort()).toEqual([old, deleted, keptCopy].sort());
  for (const ws of [old, deleted, keptCopy, ".ws_k.partial-0a1b"]) expect(existsSync(join(dir, ws))).toBe(false);
  expect(existsSync(join(dir, ".ws_k.partial-beef"))).toBe(true);
  for (const ws of [recent, stillOpen, otherHost, running]) expect(existsSync(join(dir, ws, "out.txt"))).toBe(true);
  expect(existsSync(join(outside, "keep.txt"))).toBe(true);
});
