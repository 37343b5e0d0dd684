/**
 * GET /api/overview (issue 18, the dashboard's home): empty, then with a session, its turn and two
 * gateway spend rows (written by the gateway's own spend writer); admins only; a bad window is a 400
 * naming `hours`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sessionHarness, type SessionHarness } from "../../test/support/session-harness";
import type { Overview } from "./model";

let h: SessionHarness;
beforeAll(async () => {
  h = await sessionHarness();
}, 60_000);
afterAll(() => h?.close());

const overview = async (query = "") => h.t.json<Overview>("GET", `/api/overview${query}`);

describe("GET /api/overview", () => {
  test("empty: zeros in every bucket of the window, no spend series", async () => {
    const res = await overview();
    expect(res.status).toBe(200);
    const o = res.body;
    expect(o.window).toMatchObject({ hours: 24, bucket: "hour" });
    expect(o.active_sessions).toEqual({ total: 0, by_status: {} });
    expect(o.pending_approvals).toBe(0);
    expect(o.sessions_over_time.length).toBeGreaterThanOrEqual(24);
    expect(o.sessions_over_time.every((p) => p.sessions === 0)).toBe(true);
    expect(o.turns_over_time.every((p) => p.completed === 0 && p.failed === 0)).toBe(true);
    expect(o.spend_by_model).toEqual({ series: [], points: expect.any(Array) });
    expect(o.gateway.every((p) => p.calls === 0 && p.error_rate === 0)).toBe(true);
    expect(o.sandbox_pool).toEqual({ warm: 0, provisioning: 0, claimed: 0 });
    expect(o.totals).toEqual({ sessions: 0, turns: 0, spend: 0, gateway_calls: 0 });
    const week = await overview("?hours=168");
    expect(week.body.window.bucket).toBe("day");
    expect(week.body.sessions_over_time.length).toBeGreaterThanOrEqual(7);
  });

  test("with a session, its turn and gateway calls: the counts, spend by model and agent, latency and error rate", async () => {
    const session = await h.createSession({ prompt: "hello" });
    await h.waitFor("the turn ended", async () => (await overview()).body.totals.turns >= 1);
    const now = new Date();
    const row = (id: string, latencyMs: number, status: "success" | "failure", spend: number) => ({
      requestId: id,
      route: "/v1/chat/completions",
      status,
      startTime: now,
      endTime: now,
      modelGroup: "gpt-x",
      agentId: h.agentId,
      sessionId: session.id,
      latencyMs,
      spend,
    });
    h.t.services.gateway.spend.push(row("ov-1", 100, "success", 0.25));
    h.t.services.gateway.spend.push(row("ov-2", 300, "failure", 0));
    await h.t.services.gateway.spend.flush();

    const o = (await overview()).body;
    expect(o.totals).toMatchObject({ sessions: 1, turns: 1, gateway_calls: 2 });
    expect(o.totals.spend).toBeCloseTo(0.25);
    expect(o.active_sessions.total).toBe(1);
    expect(o.sessions_over_time.reduce((a, p) => a + Number(p.sessions), 0)).toBe(1);
    expect(o.turns_over_time.reduce((a, p) => a + Number(p.completed), 0)).toBe(1);
    expect(o.spend_by_model.series).toEqual(["gpt-x"]);
    expect(o.spend_by_agent.series).toEqual(["helper"]);
    const busy = o.gateway.find((p) => Number(p.calls) > 0)!;
    expect(busy).toMatchObject({ calls: 2, error_rate: 0.5 });
    expect(Number(busy.p95_ms)).toBeGreaterThan(Number(busy.p50_ms));
  }, 30_000);

  test("admins only; a bad window is a 400 naming hours", async () => {
    expect((await h.t.request("GET", "/api/overview", { key: null })).status).toBe(401);
    const user = (await h.t.json("POST", "/api/keys", { body: { label: "viewer", role: "user" } })).body.token;
    expect((await h.t.request("GET", "/api/overview", { key: user })).status).toBe(403);
    for (const bad of ["0", "721", "abc", "1.5"]) {
      const res = await h.t.json("GET", `/api/overview?hours=${bad}`);
      expect(res.status).toBe(400);
      expect(res.body.error?.fields?.[0]?.field ?? JSON.stringify(res.body)).toContain("hours");
    }
  });
});
