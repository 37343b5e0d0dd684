/**
 * Migration 0008 (users and teams) on a database that already has keys, agents, sessions and a Slack
 * binding: everything that belonged to no one goes to the Default team (admins only, as before); each
 * user key gets a team of its own holding what it made, so it sees exactly what it saw before.
 */
import { afterAll, expect, test } from "bun:test";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDatabase, type Database } from "./client";
import { migrate, MIGRATIONS_DIR } from "./migrate";
import { freshPostgresUrl, TEST_DB_DRIVER } from "../../test/support/db";

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

function migrationsBefore(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), "lap-migrations-"));
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  const journalPath = join(dir, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(journalPath, "utf8")) as { entries: Array<{ tag: string }> };
  journal.entries = journal.entries.slice(
    0,
    journal.entries.findIndex((e) => e.tag === tag),
  );
  writeFileSync(journalPath, JSON.stringify(journal));
  return dir;
}

test("old rows get teams: Default for the unowned, a team per user key for what it made", async () => {
  let db: Database;
  if (TEST_DB_DRIVER === "postgres") {
    const fresh = await freshPostgresUrl();
    cleanups.push(fresh.drop);
    db = await createDatabase({ url: fresh.url, max: 2 });
  } else {
    db = await createDatabase({});
  }
  cleanups.push(() => db.close());
  await migrate(db, migrationsBefore("0008_users_teams"));
  const key = (id: string, kind: string) =>
    db.query("insert into api_keys (id, key_hash, key_prefix, label, role, kind) values ($1, $2, 'sk-lap-xxxx', $1, $3, $4)", [
      id,
      `hash-${id}`,
      kind === "admin" ? "admin" : "user",
      kind,
    ]);
  await key("k-admin", "admin");
  await key("k-alice", "user");
  await key("k-bob", "user");
  await key("k-virtual", "gateway");
  await db.query(
    "insert into agents (id, name, model, owner_key_id) values ('agt-admin', 'a1', 'm', 'k-admin'), ('agt-alice', 'a2', 'm', 'k-alice'), ('agt-master', 'a3', 'm', null)",
  );
  await db.query(
    "insert into sessions (id, agent_id, owner_key_id) values ('ses-alice', 'agt-alice', 'k-alice'), ('ses-master', 'agt-alice', null)",
  );
  await db.query("insert into slack_bindings (id, agent_id) values ('b-alice', 'agt-alice')");

  await migrate(db);
  const col = async (sql: string) =>
    Object.fromEntries((await db.query<{ id: string; team: string | null }>(sql)).map((r) => [r.id, r.team]));
  expect(await col("select id, alias as team from teams")).toEqual({
    team_default: "Default",
    "team_k_k-alice": "Key: k-alice",
    "team_k_k-bob": "Key: k-bob",
  });
  expect(await col("select id, team_id as team from api_keys")).toEqual({
    "k-admin": null,
    "k-alice": "team_k_k-alice",
    "k-bob": "team_k_k-bob",
    "k-virtual": null,
  });
  expect(await col("select id, team_id as team from agents")).toEqual({
    "agt-admin": "team_default",
    "agt-alice": "team_k_k-alice",
    "agt-master": "team_default",
  });
  expect(await col("select id, team_id as team from sessions")).toEqual({ "ses-alice": "team_k_k-alice", "ses-master": "team_default" });
  expect(await col("select id, lap_team_id as team from slack_bindings")).toEqual({ "b-alice": "team_k_k-alice" });
  // Nobody is a member of anything yet: the Default team is admins-only.
  expect(await db.query("select * from team_members")).toEqual([]);
}, 120_000);
