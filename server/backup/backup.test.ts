/**
 * Backup and restore on the run's database driver (PGlite, or PostgreSQL with LAP_TEST_DB=postgres):
 * a LAP with agents, a session with its events, keys, a vault secret and an MCP server is dumped,
 * restored into a fresh database, and its session's event stream replays byte-identical; a restore
 * with another ENCRYPTION_KEY or of another schema version is refused and changes nothing.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createSecretBox } from "../lib/crypto";
import { createTestApp } from "../../test/support/app";
import { testDatabase } from "../../test/support/db";
import { sessionHarness, type SessionHarness } from "../../test/support/session-harness";
import type { Database } from "../db/client";
import { dumpDatabase } from "./dump";
import { RestoreRefused, restoreDatabase } from "./restore";

let h: SessionHarness;
const lines: string[] = [];
/** Both LAPs are given the same ENCRYPTION_KEY, as an operator restoring a backup would. */
const KEY = Buffer.alloc(32, 3);
const ENV = { ENCRYPTION_KEY: KEY.toString("base64") };
const fixture = { sessionId: "", events: "", token: "", vaultId: "", mcpId: "" };

async function* fromArray(a: string[]) {
  for (const l of a) yield l;
}

/** Every table's content, hashed in the database (a refused restore must leave it as it was). */
async function checksum(db: Database): Promise<string> {
  const tables = await db.query<{ name: string }>("select tablename as name from pg_tables where schemaname = 'public' order by 1");
  const sums: string[] = [];
  for (const { name } of tables) {
    const [row] = await db.query<{ sum: string }>(
      `select md5(coalesce(string_agg(x::text, '|' order by x::text), '')) as sum from "${name}" x`,
    );
    sums.push(`${name}:${row!.sum}`);
  }
  return sums.join(",");
}

beforeAll(async () => {
  h = await sessionHarness({ env: ENV });
  const t = h.t;
  const s = await h.createSession({ prompt: "hello there" });
  fixture.sessionId = s.id;
  await h.waitForEvent(s.id, (e) => e.type === "session.status_idle");
  const second = (await h.send(s.id, "a second turn")).body.turn_id as string;
  await h.waitForEvent(s.id, (e) => e.type === "session.status_idle" && e.turn_id === second);
  await h.waitForStatus(s.id, "idle");
  fixture.events = await (await t.request("GET", `/api/sessions/${s.id}/events?after=0&limit=1000`)).text();
  fixture.token = (await t.json("POST", "/api/keys", { body: { label: "kept", role: "admin" } })).body.token;
  fixture.vaultId = (
    await t.json("POST", "/api/vault", { body: { name: "KEPT_TOKEN", value: "vault-value-kept-123", hosts: ["example.com"] } })
  ).body.id;
  fixture.mcpId = (
    await t.json("POST", "/api/mcp/servers", { body: { name: "kept-mcp", transport: "streamable-http", url: "http://127.0.0.1:1/mcp" } })
  ).body.id;
}, 120_000);
afterAll(() => h?.close());

describe("backup and restore", () => {
  test("backup -> fresh database -> restore: agents, the session's events byte-identical, keys, vault (sealed, usable), MCP servers", async () => {
    const key = KEY;
    const progress: string[] = [];
    await dumpDatabase(h.t.database, {
      encryptionKey: key,
      write: (l) => void lines.push(l),
      onProgress: (table, done, total) => done === total && progress.push(table),
    });
    expect(lines[0]!.startsWith('#{"lap_backup":1')).toBe(true);
    expect(lines.at(-1)!.startsWith('#{"end":true')).toBe(true);
    expect(progress).toContain("session_events");
    // Secrets stay sealed in the file.
    expect(lines.join("\n")).not.toContain("vault-value-kept-123");

    const target = await createTestApp(ENV);
    try {
      await restoreDatabase(target.database, fromArray(lines), { encryptionKey: key });
      const events = await (await target.request("GET", `/api/sessions/${fixture.sessionId}/events?after=0&limit=1000`)).text();
      expect(events).toBe(fixture.events);
      expect(JSON.parse(events).data.length).toBeGreaterThan(5);
      expect((await target.json("GET", "/api/agents")).body.data.map((a: { id: string }) => a.id)).toContain(h.agentId);
      expect((await target.json("GET", "/api/auth/me", { key: fixture.token })).status).toBe(200);
      expect((await target.json("GET", `/api/mcp/servers/${fixture.mcpId}`)).body.name).toBe("kept-mcp");
      const [vault] = await target.database.query<{ value_sealed: string }>("select value_sealed from vault_secrets where id = $1", [
        fixture.vaultId,
      ]);
      expect(createSecretBox(key).decrypt(vault!.value_sealed)).toBe("vault-value-kept-123");
      // New rows continue after the restored ones (sequences), and the restore is in the trail.
      const [restored] = await target.database.query<{ action: string }>("select action from audit_log order by id desc limit 1");
      expect(restored!.action).toBe("lap.restore");
      // A second restore into a database that now holds data is refused without --replace.
      await expect(restoreDatabase(target.database, fromArray(lines), { encryptionKey: key })).rejects.toThrow(/not empty.*--replace/);
    } finally {
      await target.close();
    }
  }, 120_000);

  test("a restore with another ENCRYPTION_KEY is refused clearly and changes nothing", async () => {
    const db = await testDatabase();
    try {
      const before = await checksum(db);
      const other = Buffer.alloc(32, 7);
      const err = await restoreDatabase(db, fromArray(lines), { encryptionKey: other }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RestoreRefused);
      expect((err as Error).message).toContain("ENCRYPTION_KEY");
      expect((err as Error).message).toContain(createSecretBox(KEY).keyId);
      expect((err as Error).message).toContain("Nothing was changed");
      expect(await checksum(db)).toBe(before);
    } finally {
      await db.close();
    }
  }, 60_000);

  test("a backup of another schema version is refused, saying how, and changes nothing", async () => {
    const header = JSON.parse(lines[0]!.slice(1));
    const older = [`#${JSON.stringify({ ...header, migrations: header.migrations.slice(0, -1) })}`, ...lines.slice(1)];
    const newer = [`#${JSON.stringify({ ...header, migrations: [...header.migrations, "f".repeat(64)] })}`, ...lines.slice(1)];
    const db = await testDatabase();
    try {
      const before = await checksum(db);
      for (const [backup, says] of [
        [older, /schema version \d+.*Restore it with the LAP version that made it/],
        [newer, /newer LAP/],
      ] as const) {
        const err = await restoreDatabase(db, fromArray(backup), { encryptionKey: KEY }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(RestoreRefused);
        expect((err as Error).message).toMatch(says);
        expect((err as Error).message).toContain("Nothing was changed");
      }
      const cut = await restoreDatabase(db, fromArray(lines.slice(0, -1)), { encryptionKey: KEY }).catch((e: unknown) => e);
      expect((cut as Error).message).toContain("cut short");
      expect(await checksum(db)).toBe(before);
      const junk = await restoreDatabase(db, fromArray(["hello"]), { encryptionKey: KEY }).catch((e: unknown) => e);
      expect((junk as Error).message).toContain("not a LAP backup");
    } finally {
      await db.close();
    }
  }, 60_000);
});
