/**
 * Migration 0005 (key kinds, owners, dashboard sessions) on a database that already has keys: admin
 * keys become kind admin, virtual keys gateway, keys minted for a session session, the rest user; agents
 * and sessions made before owners existed belong to no key (admins only).
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

/** The migrations folder as it was before 0005. */
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

test("existing keys get their kind; existing agents and sessions no owner", async () => {
  let db: Database;
  if (TEST_DB_DRIVER === "postgres") {
    const fresh = await freshPostgresUrl();
    cleanups.push(fresh.drop);
    db = await createDatabase({ url: fresh.url, max: 2 });
  } else {
    db = await createDatabase({});
  }
  cleanups.push(() => db.close());
  await migrate(db, migrationsBefore("0005_key_kinds_owners_dashboard_sessions"));
  const key = (id: string, role: string) =>
    db.query("insert into api_keys (id, key_hash, key_prefix, label, role) values ($1, $2, 'sk-lap-xxxx', $1, $3)", [
      id,
      `hash-${id}`,
      role,
    ]);
  await key("k-admin", "admin");
  await key("k-user", "user");
  await key("k-virtual", "user");
  await key("k-session", "user");
  await db.query("insert into gateway_keys (key_id) values ('k-virtual')");
  await db.query("insert into gateway_keys (key_id, session_id) values ('k-session', 'ses-1')");
  await db.query("insert into agents (id, name, model) values ('agt-old', 'old', 'm')");

  await migrate(db);
  const kinds = Object.fromEntries(
    (await db.query<{ id: string; kind: string }>("select id, kind from api_keys")).map((r) => [r.id, r.kind]),
  );
  expect(kinds).toEqual({ "k-admin": "admin", "k-user": "user", "k-virtual": "gateway", "k-session": "session" });
  expect(
    (await db.query<{ owner_key_id: string | null }>("select owner_key_id from agents where id = 'agt-old'"))[0]!.owner_key_id,
  ).toBeNull();
}, 60_000);
