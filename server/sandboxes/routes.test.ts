import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestApp, type TestApp } from "../../test/support/app";

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ WARM_POOL_SIZE: "3", SANDBOX_MAX_PROCESSES: "256" });
}, 60_000);
afterAll(async () => {
  await t.services.sandboxes.shutdown();
  await t.close();
});

describe("/api/sandboxes", () => {
  test("needs an admin key", async () => {
    expect((await t.request("GET", "/api/sandboxes", { key: null })).status).toBe(401);
    expect((await t.request("GET", "/api/sandboxes/pool", { key: null })).status).toBe(401);
  });

  test("lists live sandboxes with their details, stops and destroys them", async () => {
    expect((await t.json("GET", "/api/sandboxes")).body).toEqual({ data: [] });
    const provider = t.services.sandboxes.provider();
    const h = await provider.create({ harness: "builtin", env: {}, workspaceId: "ws-routes", labels: { agent_id: "agent_x" } });
    await provider.waitReady(h.id, { timeoutMs: 20_000 });
    const list = (await t.json("GET", "/api/sandboxes")).body.data;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: h.id, provider: "local", state: "ready", agent_id: "agent_x", workspace_id: "ws-routes" });
    expect(list[0].limits).toContain("memory");
    expect(typeof list[0].pid).toBe("number");

    expect((await t.json("POST", `/api/sandboxes/${h.id}/stop`)).body).toEqual({ ok: true });
    expect((await t.json("GET", "/api/sandboxes")).body.data[0].state).toBe("stopped");
    expect((await t.json("DELETE", `/api/sandboxes/${h.id}?drop_workspace=true`)).body).toEqual({ ok: true });
    expect((await t.json("GET", "/api/sandboxes")).body.data).toEqual([]);
  }, 30_000);

  test("bad ids are 400 naming the field; unknown ones 404; nothing changes", async () => {
    const bad = await t.json("POST", "/api/sandboxes/not-an-id/stop");
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields[0].field).toBe("id");
    const badQuery = await t.json("DELETE", "/api/sandboxes/sbx_000000000000?drop_workspace=maybe");
    expect(badQuery.status).toBe(400);
    expect(badQuery.body.error.fields[0].field).toBe("drop_workspace");
    expect((await t.json("DELETE", "/api/sandboxes/sbx_000000000000")).status).toBe(404);
  });

  test("the warm pool shows its settings and slots", async () => {
    const pool = (await t.json("GET", "/api/sandboxes/pool")).body;
    expect(pool).toEqual({
      enabled: true,
      size: 3,
      ttl_minutes: 30,
      max_provisioning: 2,
      recent_agent_hours: 24,
      max_memory_mb: 4096,
      stats_hours: 24,
      slots: [],
      agents: [],
    });
    expect((await t.json("GET", "/api/sandboxes/egress")).body).toEqual({ data: [], next_before: null });
  });
});

describe("/api/sandboxes/pool/refill", () => {
  test("fills the pool for recently used agents and shows the warm slot and its sandbox", async () => {
    await t.database.query(`insert into agents (id, name, model) values ('agent_pool', 'pool', 'm')`);
    await t.database.query(`insert into sessions (id, agent_id) values ('ses_pool', 'agent_pool')`);
    const pool = (await t.json("POST", "/api/sandboxes/pool/refill")).body;
    expect(pool.slots).toHaveLength(1);
    expect(pool.slots[0]).toMatchObject({ agent_id: "agent_pool", status: "warm" });
    const live = (await t.json("GET", "/api/sandboxes")).body.data;
    expect(live).toEqual([
      expect.objectContaining({ id: pool.slots[0].sandbox_id, pool: "warm", session_id: null, agent_id: "agent_pool", state: "ready" }),
    ]);
    expect((await t.json("GET", "/api/sandboxes?session_id=ses_nope")).body.data).toEqual([]);
    expect((await t.request("POST", "/api/sandboxes/pool/refill", { key: null })).status).toBe(401);
  }, 30_000);
});

describe("after a LAP restart", () => {
  test("stale warm slots are dropped and session sandboxes marked stopped, so the pool refills", async () => {
    // Left by an earlier run of LAP on this machine (same host id).
    await t.database.query(
      `insert into sandboxes (id, sandbox_id, provider, host, agent_id, session_id, workspace_id, spec_hash, status) values
        ('sbr_old_warm', 'sbx_aaaaaaaaaaaa', 'local', $1, 'agent_pool', null, 'ws_a', 'h', 'warm'),
        ('sbr_old_claimed', 'sbx_bbbbbbbbbbbb', 'local', $1, 'agent_pool', 'ses_pool', 'ws_b', 'h', 'claimed')`,
      [t.services.sandboxes.provider().host],
    );
    const live = (await t.json("GET", "/api/sandboxes")).body.data.map((s: { id: string }) => s.id);
    const r = await t.services.sandboxes.reconcileAfterRestart();
    expect(r).toEqual({ dropped: 1, stopped: 1, reaped: 0 });
    const rows = await t.database.query<{ id: string; status: string }>(`select id, status from sandboxes where id like 'sbr_old%'`);
    expect(rows).toEqual([{ id: "sbr_old_claimed", status: "stopped" }]);
    // Sandboxes this process runs are left alone.
    expect((await t.json("GET", "/api/sandboxes")).body.data.map((s: { id: string }) => s.id)).toEqual(live);
  });
});
