/**
 * `lap backup` / `lap restore` as an operator runs them (docs/operations.md "Backup and restore"):
 * a backup of an embedded database while LAP runs (through the running LAP), restored into a fresh
 * LAP_DATA_DIR, which then starts with the same keys, vault and MCP servers; another ENCRYPTION_KEY
 * is refused with nothing changed; restore refuses while a LAP holds the data directory.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, startUp, stopLapChildren } from "../test/support/lap-cli";

afterEach(stopLapChildren);

const MASTER_KEY = "cli-backup-master-key";
const KEY = Buffer.alloc(32, 9).toString("base64");
const dir = () => mkdtempSync(join(tmpdir(), "lap-backup-"));
const auth = { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" };

describe("lap backup and lap restore (embedded)", () => {
  test("backup of a running LAP -> fresh data dir -> restore -> it starts with the same keys, vault and MCP servers", async () => {
    const a = dir();
    const env = { LAP_DATA_DIR: a, MASTER_KEY, ENCRYPTION_KEY: KEY };
    const lap = await startUp(env);
    const post = async (path: string, body: unknown) =>
      (await fetch(`${lap.url}${path}`, { method: "POST", headers: auth, body: JSON.stringify(body) })).json() as Promise<
        Record<string, any>
      >;
    const token = (await post("/api/keys", { label: "kept", role: "admin" })).token as string;
    const vault = (await post("/api/vault", { name: "KEPT", value: "kept-value-7788", hosts: ["example.com"] })).id as string;
    await post("/api/mcp/servers", { name: "kept-mcp", transport: "streamable-http", url: "http://127.0.0.1:1/mcp" });

    // LAP holds the embedded database: the backup goes through it.
    const file = join(dir(), "backup.jsonl.gz");
    const backup = await run(["backup", "--out", file], { ...env, LAP_URL: lap.url });
    expect(backup.stderr).toContain("holds the embedded database");
    expect(backup.code).toBe(0);
    expect(existsSync(file)).toBe(true);
    // Restore refuses while that LAP runs on its data dir.
    const busy = await run(["restore", file], env);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain("stop that LAP");
    lap.proc.kill("SIGTERM");
    expect(await lap.proc.exited).toBe(0);

    // Another ENCRYPTION_KEY: refused, naming the key ids, and the target stays usable and empty.
    const wrong = dir();
    const refused = await run(["restore", file], {
      LAP_DATA_DIR: wrong,
      MASTER_KEY,
      ENCRYPTION_KEY: Buffer.alloc(32, 1).toString("base64"),
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("ENCRYPTION_KEY");
    expect(refused.stderr).toContain("Nothing was changed");

    // A fresh LAP_DATA_DIR with the same key: restored, with progress, then LAP starts on it.
    const b = dir();
    const restored = await run(["restore", file], { LAP_DATA_DIR: b, MASTER_KEY, ENCRYPTION_KEY: KEY });
    expect(restored.stderr).toContain("session_events:");
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain("Restored");
    const again = await startUp({ LAP_DATA_DIR: b, MASTER_KEY, ENCRYPTION_KEY: KEY });
    const get = async (path: string, key = MASTER_KEY) =>
      (await fetch(`${again.url}${path}`, { headers: { authorization: `Bearer ${key}` } })).json() as Promise<Record<string, any>>;
    expect((await get("/api/auth/me", token)).kind).toBe("admin");
    expect((await get(`/api/vault/${vault}`)).name).toBe("KEPT");
    expect(((await get("/api/mcp/servers")).data as Array<{ name: string }>).map((s) => s.name)).toContain("kept-mcp");
    expect(((await get("/api/audit?action=lap.restore")).data as unknown[]).length).toBe(1);
    again.proc.kill("SIGTERM");
    expect(await again.proc.exited).toBe(0);

    // With no LAP running, backup opens the database itself.
    const direct = await run(["backup", "--out", join(dir(), "direct.jsonl.gz")], { LAP_DATA_DIR: b, MASTER_KEY, ENCRYPTION_KEY: KEY });
    expect(direct.code).toBe(0);
    expect(direct.stderr).toContain("rows in");
  }, 240_000);
});
