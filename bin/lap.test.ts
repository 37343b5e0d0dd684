import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freshPostgresUrl } from "../test/support/db";
import { baseEnv, run, startUp, stopLapChildren } from "../test/support/lap-cli";
import { commandOf, isRunning, killMarked, markedProcesses } from "../test/support/processes";
import { NEEDS_POSTGRES, requires } from "../test/support/skip";

afterEach(stopLapChildren);
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c().catch(() => {});
});

describe("lap CLI", () => {
  test("invalid configuration exits 1 and lists every failing variable", async () => {
    const r = await run(["up"], {
      PORT: "nope",
      MASTER_KEY: "short",
      LAP_ENV: "production",
      LAP_DATA_DIR: mkdtempSync(join(tmpdir(), "lap-cli-")),
    });
    expect(r.code).toBe(1);
    for (const key of ["PORT", "MASTER_KEY", "ENCRYPTION_KEY"]) expect(r.stderr).toContain(key);
  });

  test("--help is helpful on every command", async () => {
    const commands = [
      ["--help"],
      ["up", "--help"],
      ["keys", "--help"],
      ["keys", "create", "--help"],
      ["doctor", "--help"],
      ["migrate", "--help"],
      ["backup", "--help"],
      ["restore", "--help"],
    ];
    for (const r of await Promise.all(commands.map((args) => run(args, {})))) {
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("Usage: lap");
    }
  }, 30_000);

  test("first start on embedded defaults: generates and prints the master key once, serves, stops cleanly on SIGTERM", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "lap-cli-"));
    const first = await startUp({ LAP_DATA_DIR: dataDir });
    const key = /\n\s+(lap-master-\S+)\n/.exec(first.banner)?.[1];
    expect(key).toBeString();
    expect(statSync(join(dataDir, "master.key")).mode & 0o777).toBe(0o600);
    expect((await fetch(`${first.url}/health/readiness`)).status).toBe(200);
    expect((await fetch(`${first.url}/api/keys`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);

    // While LAP holds the embedded database, the keys CLI goes through its API.
    const env = { LAP_DATA_DIR: dataDir, LAP_URL: first.url };
    const created = await run(["keys", "create", "--label", "from-cli", "--json"], env);
    expect(created.code).toBe(0);
    const token = JSON.parse(created.stdout).token as string;
    expect((await fetch(`${first.url}/api/auth/me`, { headers: { "x-api-key": token } })).status).toBe(200);

    first.proc.kill("SIGTERM");
    expect(await first.proc.exited).toBe(0);

    const second = await startUp({ LAP_DATA_DIR: dataDir });
    expect(second.banner).not.toContain(key!);
    expect(second.banner).toContain("master.key");
    expect((await fetch(`${second.url}/api/auth/me`, { headers: { "x-api-key": token } })).status).toBe(200);
    second.proc.kill("SIGINT");
    expect(await second.proc.exited).toBe(0);

    // With LAP stopped, the CLI opens the database directly.
    const listed = await run(["keys", "list", "--json"], { LAP_DATA_DIR: dataDir });
    const keys = JSON.parse(listed.stdout) as { id: string; label: string }[];
    expect(keys.map((k) => k.label)).toEqual(["from-cli"]);
    const revoked = await run(["keys", "revoke", keys[0]!.id], { LAP_DATA_DIR: dataDir });
    expect(revoked.stdout).toContain("Revoked");
    const missing = await run(["keys", "revoke", "no-such-id"], { LAP_DATA_DIR: dataDir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("not found");
    const status = await run(["migrate", "--status"], { LAP_DATA_DIR: dataDir });
    expect(status.stdout).toMatch(/0 pending/);
  }, 120_000);

  test("a second LAP on the same embedded data directory refuses to start", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "lap-cli-"));
    const first = await startUp({ LAP_DATA_DIR: dataDir, MASTER_KEY: "cli-test-master" });
    const second = await run(["up"], { LAP_DATA_DIR: dataDir, MASTER_KEY: "cli-test-master", PORT: "0" });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain("Another LAP");
    first.proc.kill("SIGTERM");
    await first.proc.exited;
  }, 120_000);

  test("doctor reports each check with a fix", async () => {
    const r = await run(["doctor", "--json"], { LAP_DATA_DIR: mkdtempSync(join(tmpdir(), "lap-cli-")), PORT: "0" });
    const checks = JSON.parse(r.stdout) as { name: string; ok: boolean; fix?: string }[];
    expect(checks.map((c) => c.name)).toEqual(["Bun", "Database", "bubblewrap", "Chromium", "Port"]);
    expect(checks.find((c) => c.name === "Bun")!.ok).toBe(true);
    for (const c of checks.filter((x) => !x.ok)) expect(c.fix).toBeString();
    const bad = await run(["doctor", "--json"], {
      LAP_DATA_DIR: mkdtempSync(join(tmpdir(), "lap-cli-")),
      DATABASE_URL: "postgres://nobody@127.0.0.1:1/none",
      PORT: "0",
    });
    const db = (JSON.parse(bad.stdout) as { name: string; ok: boolean; fix: string }[]).find((c) => c.name === "Database")!;
    expect(db.ok).toBe(false);
    expect(db.fix).toContain("DATABASE_URL");
    expect(bad.code).toBe(1);
  }, 60_000);

  test("doctor checks the embedded database: asks a running LAP, opens a stopped one, fails a broken one", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "lap-cli-doctor-"));
    const database = async (env: Record<string, string> = {}) => {
      const r = await run(["doctor", "--json"], { LAP_DATA_DIR: dataDir, PORT: "0", ...env });
      const check = (JSON.parse(r.stdout) as { name: string; ok: boolean; detail: string; fix?: string }[]).find(
        (c) => c.name === "Database",
      )!;
      return { ...check, code: r.code };
    };
    expect(await database()).toMatchObject({ ok: true, detail: expect.stringContaining("LAP creates it") });

    // While LAP holds the database, doctor asks LAP (a second opener could corrupt PGlite).
    const lap = await startUp({ LAP_DATA_DIR: dataDir, MASTER_KEY: "cli-test-master" });
    const running = await database({ LAP_URL: lap.url });
    expect(running.ok).toBe(true);
    expect(running.detail).toMatch(/open in LAP \(pid \d+\): ready, (\d+)\/\1 migrations applied$/);
    lap.proc.kill("SIGTERM");
    expect(await lap.proc.exited).toBe(0);

    // Stopped: doctor opens it, runs select 1 and reads the migrations, and leaves no lock behind.
    const stopped = await database();
    expect(stopped.ok).toBe(true);
    expect(stopped.detail).toMatch(/: (\d+)\/\1 migrations applied$/);
    expect(existsSync(join(dataDir, "pgdata.pid"))).toBe(false);

    // A live process holds the lock but no LAP answers: not OK, and doctor does not open the database.
    const squatter = Bun.spawn(["sleep", "60"]);
    cleanups.push(async () => squatter.kill());
    writeFileSync(join(dataDir, "pgdata.pid"), String(squatter.pid));
    const held = await database({ LAP_URL: "http://127.0.0.1:9" });
    expect(held).toMatchObject({ ok: false, code: 1, fix: expect.stringContaining("LAP_URL") });
    squatter.kill();
    await squatter.exited;

    // A broken data directory fails the check (it used to be reported OK without a look).
    writeFileSync(join(dataDir, "pgdata", "global", "pg_control"), randomBytes(8192));
    const broken = await database();
    expect(broken).toMatchObject({ ok: false, code: 1, fix: expect.stringContaining("backup") });
    expect(broken.detail).toContain("does not open");
  }, 180_000);

  requires(NEEDS_POSTGRES).test(
    "two LAP processes starting at once on one PostgreSQL database both come up; one migrates",
    async () => {
      const fresh = await freshPostgresUrl();
      cleanups.push(fresh.drop);
      const env = {
        DATABASE_URL: fresh.url,
        MASTER_KEY: "cli-test-master",
        LAP_DATA_DIR: mkdtempSync(join(tmpdir(), "lap-cli-")),
        LOG_LEVEL: "info",
      };
      const [a, b] = await Promise.all([startUp(env), startUp({ ...env, LAP_DATA_DIR: mkdtempSync(join(tmpdir(), "lap-cli-")) })]);
      for (const p of [a, b]) {
        expect((await fetch(`${p.url}/health/readiness`)).status).toBe(200);
        p.proc.kill("SIGTERM");
      }
      const outs = await Promise.all([a, b].map(async (p) => (await p.proc.exited, p.stdout.finished)));
      expect(outs.filter((o) => o.includes("migrations applied")).length).toBe(1);
    },
    120_000,
  );

  test("an assertion failing mid-test leaves no `lap up` child running", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "lap-cli-fail-"));
    const fixture = join(import.meta.dir, "fixtures/up-then-throw.fixture.ts");
    const inner = Bun.spawn([process.execPath, "test", fixture], {
      cwd: join(import.meta.dir, ".."),
      env: { ...baseEnv, ...(process.env.LAP_TEST_DB ? { LAP_TEST_DB: process.env.LAP_TEST_DB } : {}), FIXTURE_DATA_DIR: dataDir },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    // If this test fails, what the fixture left must not outlive it either.
    cleanups.push(async () => (inner.kill("SIGKILL"), killMarked(dataDir)));
    const [out, err, code] = await Promise.all([new Response(inner.stdout).text(), new Response(inner.stderr).text(), inner.exited]);
    // The fixture really started LAP and really failed…
    expect(code).not.toBe(0);
    expect(out + err).toContain("simulated assertion failure mid-test");
    expect(existsSync(join(dataDir, "lap-up.pid"))).toBe(true);
    const pid = Number(readFileSync(join(dataDir, "lap-up.pid"), "utf8"));
    // …and left nothing behind: not that `lap up`, nor any process naming its data dir.
    expect(isRunning(pid)).toBe(false);
    expect(markedProcesses(dataDir).map(commandOf)).toEqual([]);
  }, 120_000);
});
