// The real supervisor as a Kubernetes pod runs it: on TCP (LAP_SUPERVISOR_PORT), with no token file,
// so the first /lap/bind brings the token (docs/kubernetes.md, "Supervisor contract").
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startRealSupervisor, type RealSupervisor } from "../../test/support/real-supervisor";

const TOKEN = "tok-0123456789abcdef-first-bind";
let sup: RealSupervisor;
let base = "";

beforeAll(async () => {
  sup = await startRealSupervisor();
  base = sup.baseUrl;
}, 30_000);

afterAll(() => sup.stop());

const bindBody = (over: Record<string, unknown> = {}) => ({
  sandboxId: "lap-abc123",
  harness: "builtin",
  workspaceId: "ws_1",
  supervisorToken: TOKEN,
  sessionId: "ses_1",
  agentId: "agt_1",
  gatewayKey: "sk-session-key",
  gatewayBaseUrl: "http://127.0.0.1:9/v1",
  model: "m-1",
  env: { VAULT_STUB_X: "stub" },
  ...over,
});
const post = (path: string, body: unknown, key?: string) =>
  fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { "x-api-key": key } : {}) },
    body: JSON.stringify(body),
  });

describe("supervisor on TCP in first-bind mode (no LAP_SUPERVISOR_TOKEN_FILE)", () => {
  test("health answers before the bind; everything else is refused until a token is known", async () => {
    const h = await fetch(`${base}/health`);
    expect(h.status).toBe(200);
    expect(await h.json()).toMatchObject({ bound: false, session_id: null });
    expect((await fetch(`${base}/v1/models`)).status).toBe(401);
    expect((await fetch(`${base}/v1/models`, { headers: { "x-api-key": TOKEN } })).status).toBe(401);
  });

  test("a first bind without supervisorToken is a 400 and does not bind", async () => {
    const { supervisorToken: _, ...noToken } = bindBody();
    const res = await post("/lap/bind", noToken);
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.message).toContain("supervisorToken");
    expect(((await (await fetch(`${base}/health`)).json()) as any).bound).toBe(false);
  });

  test("the first bind takes the token from its body; later calls need it as x-api-key", async () => {
    const res = await post("/lap/bind", bindBody(), TOKEN);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, session_id: "ses_1" });
    expect((await (await fetch(`${base}/health`)).json()) as any).toMatchObject({ bound: true, session_id: "ses_1", agent_id: "agt_1" });
    const models = await fetch(`${base}/v1/models`, { headers: { "x-api-key": TOKEN } });
    expect(await models.json()).toEqual({ data: [{ id: "m-1", type: "model" }] });
    expect((await fetch(`${base}/v1/models`)).status).toBe(401);
    expect((await fetch(`${base}/v1/models`, { headers: { "x-api-key": "wrong-token-0123456789" } })).status).toBe(401);
    expect((await fetch(`${base}/v1/sessions/ses_1`, { headers: { "x-api-key": TOKEN } })).status).toBe(200);
  });

  test("after the first bind the token is fixed: a bind without it, or naming another token, is 401; the same session again is idempotent; another session is 409", async () => {
    expect((await post("/lap/bind", bindBody({ supervisorToken: "attacker-token-0123456789" }))).status).toBe(401);
    expect((await post("/lap/bind", bindBody({ supervisorToken: "attacker-token-0123456789" }), "attacker-token-0123456789")).status).toBe(
      401,
    );
    expect((await post("/lap/bind", bindBody(), TOKEN)).status).toBe(200);
    expect((await post("/lap/bind", bindBody({ sessionId: "ses_2" }), TOKEN)).status).toBe(409);
    expect((await fetch(`${base}/v1/models`, { headers: { "x-api-key": TOKEN } })).status).toBe(200);
  });
});
