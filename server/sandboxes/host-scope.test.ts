/**
 * Two LAP replicas on different machines sharing one database, with local (bubblewrap) sandboxes: two
 * SandboxServices with their own data dirs and LAP_HOST_IDs on one database (PGlite, or PostgreSQL with
 * LAP_TEST_DB=postgres). A host sandbox is a process on its machine, so each host claims, counts and
 * recovers only its own rows; real bwrap sandboxes prove the other host's keep working.
 */
import { agentsForSandboxes } from "../agents/for-sandboxes";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../config/load";
import type { Database } from "../db/client";
import { createLogger } from "../lib/logger";
import type { AgentDefinition } from "../runtimes/adapter";
import { testDatabase } from "../../test/support/db";
import { SandboxService } from "./service";
import { sandboxConfigFrom } from "./settings";
import { SupervisorClient } from "./supervisor-client";
import { sessionsForSandboxes } from "../sessions/for-sandboxes";

let database: Database;
let a: SandboxService;
let b: SandboxService;
let hash: string;
const dataDirs = { a: mkdtempSync(join(tmpdir(), "lap-host-a-")), b: mkdtempSync(join(tmpdir(), "lap-host-b-")) };

const AGENT = "agt_hosts";
const agent: AgentDefinition = {
  id: AGENT,
  name: "hosts",
  description: "",
  model: "m",
  systemPrompt: "",
  tools: [],
  mcpServers: [],
  environment: {},
  repoUrl: null,
  repoBranch: null,
  approvalRequiredTools: [],
};

/** One LAP replica: its own machine (data dir, host id), the shared database, a warm pool of one. */
const replica = (host: "a" | "b") => {
  const env = { LAP_DATA_DIR: dataDirs[host], LAP_HOST_ID: `host-${host}`, LAP_SANDBOX: "local", WARM_POOL_SIZE: "1", LOG_LEVEL: "silent" };
  return new SandboxService({
    ...sandboxConfigFrom(loadConfig(env), env),
    database,
    sessions: sessionsForSandboxes(database),
    agents: agentsForSandboxes(database),
    logger: createLogger("silent"),
    lapUpstream: () => ({ host: "127.0.0.1", port: 9 }),
  });
};
const adapterOf = (svc: SandboxService) =>
  svc.adapter({
    gatewayBaseUrl: "http://127.0.0.1:9/v1",
    mintSessionKey: async ({ sessionId }) => `sk-${sessionId}`,
    history: async () => [],
  });
const startSession = (svc: SandboxService, sessionId: string) =>
  adapterOf(svc).startSession({
    ref: { remoteAgentId: AGENT, remoteEnvironmentId: null, signature: "s" },
    agent,
    localSessionId: sessionId,
    title: "",
  });

type Row = {
  id: string;
  host: string | null;
  status: string;
  sandbox_id: string | null;
  session_id: string | null;
  updated_at: Date | string;
};
const rowsOf = (host: string | null) =>
  database.query<Row>(
    `select id, host, status, sandbox_id, session_id, updated_at from sandboxes where host is not distinct from $1 order by created_at`,
    [host],
  );
const ready = async (svc: SandboxService, sandboxId: string) => (await svc.provider().get(sandboxId))?.state === "ready";

beforeAll(async () => {
  database = await testDatabase();
  await database.query(`insert into agents (id, name, model) values ($1, 'hosts', 'm')`, [AGENT]);
  // A recent session makes the agent one the warm pool serves.
  await database.query(`insert into sessions (id, agent_id) values ('ses_recent', $1)`, [AGENT]);
  a = replica("a");
  b = replica("b");
  hash = (await a.specForAgent(AGENT))!.hash;
}, 60_000);

afterAll(async () => {
  await a?.shutdown();
  await b?.shutdown();
  await database?.close();
});

describe("local sandboxes of two hosts on one database", () => {
  test("every local row names its host; B never claims A's warm sandbox but starts and keeps its own", async () => {
    expect(a.provider().host).toBe("host-a");
    await a.pool().topUp();
    const [warmA] = await rowsOf("host-a");
    expect(warmA).toMatchObject({ status: "warm", session_id: null });
    expect(await ready(a, warmA!.sandbox_id!)).toBe(true);
    // Same agent, same spec: only the host differs.
    expect((await b.specForAgent(AGENT))!.hash).toBe(hash);

    expect(await b.pool().claim(AGENT, hash, "ses_b1")).toBeNull();
    await startSession(b, "ses_b1");
    const [coldB] = await database.query<Row>(`select id, host, status, sandbox_id from sandboxes where session_id = 'ses_b1'`);
    expect(coldB).toMatchObject({ host: "host-b", status: "claimed" });
    expect(coldB!.sandbox_id).not.toBe(warmA!.sandbox_id);
    expect(await ready(b, coldB!.sandbox_id!)).toBe(true);

    // B's refill counts only B's rows, so A's warm sandbox does not stop B from keeping its own.
    await b.pool().idle();
    const warmB = (await rowsOf("host-b")).find((r) => r.status === "warm");
    expect(warmB).toBeDefined();
    expect(await ready(b, warmB!.sandbox_id!)).toBe(true);
    await startSession(b, "ses_b2");
    const [claimedB] = await database.query<Row>(`select id, host, status, sandbox_id from sandboxes where session_id = 'ses_b2'`);
    expect(claimedB).toMatchObject({ id: warmB!.id, host: "host-b", status: "claimed" });

    // A's warm sandbox was never touched, and A still claims it.
    expect((await rowsOf("host-a")).map((r) => [r.id, r.status, r.session_id])).toEqual([[warmA!.id, "warm", null]]);
    const claimedA = await a.pool().claim(AGENT, hash, "ses_a1");
    expect(claimedA).toMatchObject({ rowId: warmA!.id, sandboxId: warmA!.sandbox_id });
    await a.pool().idle();
    await b.pool().idle();
    // Each host refilled its own pool after its claim: one warm sandbox per host.
    expect(
      (await database.query<{ host: string }>(`select host from sandboxes where status = 'warm' order by host`)).map((r) => r.host),
    ).toEqual(["host-a", "host-b"]);
  }, 120_000);

  test("B's start-up recovery leaves A's running rows alone (and rows of unknown host); A's sandboxes still work", async () => {
    // A row from before the host column: unknown host, maybe a replica still on the older version.
    await database.query(
      `insert into sandboxes (id, sandbox_id, provider, agent_id, workspace_id, spec_hash, status, created_at) values ('sbr_legacy', 'sbx_legacy', 'local', $1, 'ws_legacy', $2, 'warm', now() - interval '1 minute')`,
      [AGENT, hash],
    );
    const beforeA = await rowsOf("host-a");
    expect(beforeA.map((r) => r.status).sort()).toEqual(["claimed", "warm"]);
    const ownB = await rowsOf("host-b");

    // B restarts: its sandboxes died with it (--die-with-parent); a new LAP on the same machine recovers.
    await b.shutdown();
    b = replica("b");
    expect(await b.reconcileAfterRestart()).toEqual({ dropped: 1, stopped: 2, reaped: 0 });

    // B's own stale rows were recovered: the warm one dropped, the sessions' marked stopped.
    const afterB = await rowsOf("host-b");
    expect(afterB.map((r) => [r.session_id, r.status]).sort()).toEqual([
      ["ses_b1", "stopped"],
      ["ses_b2", "stopped"],
    ]);
    expect(afterB).toHaveLength(ownB.length - 1);
    // A's rows are exactly as they were, and so is the row of unknown host.
    expect(await rowsOf("host-a")).toEqual(beforeA);
    expect((await rowsOf(null)).map((r) => [r.id, r.status])).toEqual([["sbr_legacy", "warm"]]);
    // B's pool never hands out the unknown row, nor A's.
    expect(await b.pool().claim(AGENT, hash, "ses_b3")).toBeNull();
    await b.pool().idle();

    // A's sandboxes still run and answer: the claimed one over its supervisor, the warm one to A's claim.
    const claimedA = beforeA.find((r) => r.status === "claimed")!;
    expect(await ready(a, claimedA.sandbox_id!)).toBe(true);
    const health = await new SupervisorClient(await a.provider().connect(claimedA.sandbox_id!), "ses_a1").health();
    expect(health).toHaveProperty("bound");
    const warmA = beforeA.find((r) => r.status === "warm")!;
    expect(await a.pool().claim(AGENT, hash, "ses_a2")).toMatchObject({ rowId: warmA.id, sandboxId: warmA.sandbox_id });
    expect(await ready(a, warmA.sandbox_id!)).toBe(true);
    await a.pool().idle();
  }, 120_000);

  test("the pool view of each host lists only its own slots", async () => {
    const slotsA = (await a.poolSlots()).slots.map((s) => s.id);
    const slotsB = (await b.poolSlots()).slots.map((s) => s.id);
    const hostOfRow = new Map(
      (await database.query<{ id: string; host: string | null }>(`select id, host from sandboxes`)).map((r) => [r.id, r.host]),
    );
    expect(slotsA.length).toBeGreaterThan(0);
    expect(slotsA.every((id) => hostOfRow.get(id) === "host-a")).toBe(true);
    expect(slotsB.every((id) => hostOfRow.get(id) === "host-b")).toBe(true);
    expect([...slotsA, ...slotsB]).not.toContain("sbr_legacy");
  }, 60_000);
});
