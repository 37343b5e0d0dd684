/**
 * The sandbox's gateway proxy and the warm pre-start (docs/security.md "Before bind"), with the real
 * supervisor and the built-in harness as processes, a recording stand-in for LAP's bridge socket, and
 * the scripted model (standing for the LLM provider) behind it. Nothing an unbound sandbox sends
 * reaches LAP; after the bind every call carries exactly that session's key, which no harness holds.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RealSupervisor, startRealSupervisor } from "../../test/support/real-supervisor";
import { type ScriptedModel, startScriptedModel } from "../../test/support/scripted-model/index.ts";

const TOKEN = "supervisor-token-0123456789abcdef";
const dir = mkdtempSync(join(tmpdir(), "lap-gw-proxy-"));
let model: ScriptedModel;
let upstream: ReturnType<typeof Bun.serve>;
/** What reached "LAP" (the bridge socket): path and credential. */
const reached: Array<{ path: string; auth: string }> = [];
const sups: RealSupervisor[] = [];

const freePort = () => {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
};

/** A real supervisor whose LAP bridge is the recording socket; returns it and its gateway port. */
async function supervisor(name: string, env: Record<string, string> = {}) {
  const tokenFile = join(dir, `${name}.token`);
  writeFileSync(tokenFile, TOKEN);
  const port = freePort();
  const sup = await startRealSupervisor({
    LAP_SUPERVISOR_TOKEN_FILE: tokenFile,
    LAP_BRIDGES: `127.0.0.1:${port}=${join(dir, "lap.sock")}`,
    ...env,
  });
  sups.push(sup);
  const call = (path: string, body?: unknown) =>
    fetch(`${sup.baseUrl}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { "x-api-key": TOKEN, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  // The harness reaches LAP at the proxy (in a bubblewrap sandbox 127.0.0.1:4000).
  const setup = { ...SETUP, gatewayBaseUrl: `http://127.0.0.1:${port}/v1` };
  return { sup, call, setup, gateway: `http://127.0.0.1:${port}` };
}

const SETUP = { agentId: "agent_a", model: "scripted-model", systemPrompt: "be brief" };

/** Polls `check` (a state read over HTTP, no event to wait for) until it holds, or fails after 30 s. */
async function waitUntil(check: () => boolean | Promise<boolean>) {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await Bun.sleep(50);
  }
}

/** Sends one message and reads the turn's events until it ends. */
async function turn(call: (p: string, b?: unknown) => Promise<Response>, sup: RealSupervisor, sessionId: string, text: string) {
  const sent = (await (
    await call(`/v1/sessions/${sessionId}/events`, { events: [{ type: "user.message", content: [{ type: "text", text }] }] })
  ).json()) as {
    last_seq: number;
  };
  const res = await fetch(`${sup.baseUrl}/v1/sessions/${sessionId}/events/stream?after=${sent.last_seq}&until=idle`, {
    headers: { "x-api-key": TOKEN },
    signal: AbortSignal.timeout(30_000),
  });
  const body = await res.text();
  return body
    .split("\n")
    .filter((l) => l.startsWith("data: "))
    .map((l) => JSON.parse(l.slice(6)) as { type: string; content?: Array<{ text: string }> });
}

beforeAll(async () => {
  model = startScriptedModel({
    models: ["scripted-model", "other-model"],
    script: [{ when: "say hi", steps: [{ kind: "text", text: "hi" }] }],
  });
  upstream = Bun.serve({
    unix: join(dir, "lap.sock"),
    async fetch(req) {
      const url = new URL(req.url);
      reached.push({ path: url.pathname, auth: req.headers.get("authorization") ?? req.headers.get("x-api-key") ?? "" });
      if (url.pathname.startsWith("/mcp")) return Response.json({ jsonrpc: "2.0", id: 1, result: {} });
      return fetch(`${model.url}${url.pathname}`, { method: req.method, headers: req.headers, body: await req.text() });
    },
  } as Parameters<typeof Bun.serve>[0]);
}, 30_000);

afterAll(async () => {
  for (const s of sups) await s.stop();
  upstream?.stop(true);
  await model?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("a warm sandbox before and after its bind", () => {
  test("unbound: a model call is refused at the sandbox and reaches nothing; an MCP request waits and goes out with the bound session's key only", async () => {
    const { sup, call, setup, gateway } = await supervisor("a");
    const prepared = await call("/lap/prepare", setup);
    expect(prepared.status).toBe(200);
    expect(((await prepared.json()) as { harness: string }).harness).toBe("ready");
    expect(((await (await call("/health")).json()) as { prepared: string; bound: boolean }).prepared).toBe("ready");

    for (const key of ["sk-session-guess", ""]) {
      const refused = await fetch(`${gateway}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "scripted-model", messages: [{ role: "user", content: "say hi" }] }),
      });
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { error: { type: string } }).error.type).toBe("sandbox_unbound");
    }
    // An MCP request (a CLI's start) waits for the bind instead.
    let settled = false;
    const held = fetch(`${gateway}/mcp/docs`, { method: "POST", headers: { authorization: "Bearer sk-other" }, body: "{}" }).then((r) => {
      settled = true;
      return r;
    });
    await Bun.sleep(300);
    expect(settled).toBe(false);
    expect(reached).toEqual([]);
    expect(model.requests).toEqual([]);
    expect(((await (await call("/health")).json()) as { gateway_proxy: unknown }).gateway_proxy).toEqual({
      bound: false,
      refused_unbound: 2,
      held: 1,
      abandoned: 0,
      abandoned_mcp: 0,
    });

    const bound = await call("/lap/bind", { ...setup, sessionId: "ses_a", gatewayKey: "sk-session-ses_a" });
    expect(((await bound.json()) as { kept: boolean }).kept).toBe(true);
    expect((await held).status).toBe(200);
    // A credential that is not the sandbox's placeholder goes through as it is (LAP checks it).
    expect(reached).toEqual([{ path: "/mcp/docs", auth: "Bearer sk-other" }]);

    // The pre-started harness answers; its model call carried exactly this session's key.
    const events = await turn(call, sup, "ses_a", "say hi");
    expect(events.at(-1)?.type).toBe("session.status_idle");
    expect(
      events
        .filter((e) => e.type === "agent.message")
        .map((e) => e.content?.[0]?.text)
        .join(""),
    ).toBe("hi");
    expect(model.requests.map((r) => r.authorization)).toEqual(["sk-session-ses_a"]);
    expect(events.some((e) => e.type === "harness.prepared")).toBe(false);

    // One session only: another bind, or a second prepare, is refused.
    expect((await call("/lap/bind", { ...setup, sessionId: "ses_other", gatewayKey: "sk-session-ses_other" })).status).toBe(409);
    expect((await call("/lap/prepare", setup)).status).toBe(409);
  }, 60_000);

  test("a bind that differs from what was prepared restarts the harness with the binding (its model, not the prepared one)", async () => {
    const { sup, call, setup } = await supervisor("b");
    expect((await call("/lap/prepare", { ...setup, model: "other-model" })).status).toBe(200);
    const bound = await call("/lap/bind", { ...setup, sessionId: "ses_b", gatewayKey: "sk-session-ses_b" });
    expect(((await bound.json()) as { kept: boolean }).kept).toBe(false);
    expect(((await (await call("/health")).json()) as { prepared: string }).prepared).toBe("restarted");
    const before = model.requests.length;
    const events = await turn(call, sup, "ses_b", "say hi");
    expect(events.at(-1)?.type).toBe("session.status_idle");
    expect(model.requests.slice(before).map((r) => [r.model, r.authorization])).toEqual([["scripted-model", "sk-session-ses_b"]]);
  }, 60_000);

  /** An MCP request held before the bind whose client gave up (as a CLI's MCP start does after ~60 s). */
  const abandonHeldMcp = async (gateway: string, call: (p: string) => Promise<Response>) => {
    const gaveUp = new AbortController();
    const held = fetch(`${gateway}/mcp/docs`, { method: "POST", body: "{}", signal: gaveUp.signal }).catch(() => undefined);
    await waitUntil(async () => (await healthOf(call)).gateway_proxy.held === 1);
    gaveUp.abort();
    await held;
  };
  const healthOf = async (call: (p: string) => Promise<Response>) =>
    (await (await call("/health")).json()) as {
      prepared: string;
      gateway_proxy: { held: number; abandoned: number; abandoned_mcp: number };
    };

  test("a held MCP request the harness gave up on: a harness that does not connect MCP at the bind is restarted", async () => {
    const { call, setup, gateway } = await supervisor("d");
    expect((await call("/lap/prepare", { ...setup, mcpServers: ["docs"] })).status).toBe(200);
    await abandonHeldMcp(gateway, call);
    await waitUntil(async () => (await healthOf(call)).gateway_proxy.abandoned === 1);
    expect((await healthOf(call)).gateway_proxy).toMatchObject({ abandoned: 1, abandoned_mcp: 1 });
    const bound = await call("/lap/bind", { ...setup, mcpServers: ["docs"], sessionId: "ses_d", gatewayKey: "sk-session-ses_d" });
    expect(((await bound.json()) as { kept: boolean }).kept).toBe(false);
    expect((await healthOf(call)).prepared).toBe("restarted");
  }, 60_000);

  test("opencode connects its MCP servers at the bind (harness.prepared says so): an abandoned MCP request does not restart it", async () => {
    const { call, setup, gateway } = await supervisor("e", { LAP_HARNESS: "opencode" });
    const prepared = await call("/lap/prepare", { ...setup, mcpServers: ["docs"] });
    expect(((await prepared.json()) as { harness: string }).harness).toBe("ready");
    await abandonHeldMcp(gateway, call);
    await waitUntil(async () => (await healthOf(call)).gateway_proxy.abandoned === 1);
    const bound = await call("/lap/bind", { ...setup, mcpServers: ["docs"], sessionId: "ses_e", gatewayKey: "sk-session-ses_e" });
    expect(((await bound.json()) as { kept: boolean }).kept).toBe(true);
    expect((await healthOf(call)).prepared).toBe("kept");
    // At the bind the kept opencode connects its MCP server through the proxy, with the session's key.
    await waitUntil(() => reached.some((r) => r.path === "/mcp/docs" && r.auth === "Bearer sk-session-ses_e"));
  }, 120_000);

  test("prepare is validated like bind (400 naming the field) and needs the supervisor's token", async () => {
    const { sup, call, setup } = await supervisor("c");
    const bad = await call("/lap/prepare", { ...setup, model: "" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { fields: Array<{ field: string }> } }).error.fields.map((f) => f.field)).toEqual(["model"]);
    const noToken = await fetch(`${sup.baseUrl}/lap/prepare`, { method: "POST", body: JSON.stringify(setup) });
    expect(noToken.status).toBe(401);
    expect(((await (await call("/health")).json()) as { prepared: string }).prepared).toBe("none");
  }, 30_000);

  test("a pod (TCP, no bridge, no token file): the prepare brings the token and starts a gateway proxy toward LAP's origin; the bind keeps the harness; its model call reaches LAP over HTTP with the session key only", async () => {
    const overHttp: Array<{ path: string; auth: string }> = [];
    const lapHttp = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(req) {
        const url = new URL(req.url);
        overHttp.push({ path: url.pathname, auth: req.headers.get("authorization") ?? req.headers.get("x-api-key") ?? "" });
        return fetch(`${model.url}${url.pathname}`, { method: req.method, headers: req.headers, body: await req.text() });
      },
    });
    try {
      const sup = await startRealSupervisor();
      sups.push(sup);
      const post = (path: string, body: unknown, key?: string) =>
        fetch(`${sup.baseUrl}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json", ...(key ? { "x-api-key": key } : {}) },
          body: JSON.stringify(body),
        });
      const setup = { ...SETUP, gatewayBaseUrl: `http://127.0.0.1:${lapHttp.port}/v1`, env: { VAULT_STUB_X: "stub-x" } };
      // First-bind mode: a prepare must bring the token; once it did, the token is fixed.
      expect((await post("/lap/prepare", setup)).status).toBe(400);
      const prepared = await post("/lap/prepare", { ...setup, supervisorToken: TOKEN });
      expect(prepared.status).toBe(200);
      expect(((await prepared.json()) as { harness: string }).harness).toBe("ready");
      expect((await post("/lap/prepare", { ...setup, supervisorToken: "attacker-token-0123456789" })).status).toBe(401);
      expect(
        (await post("/lap/bind", { ...setup, sessionId: "ses_x", gatewayKey: "k", supervisorToken: "attacker-token-0123456789" })).status,
      ).toBe(401);
      const health = (await (await fetch(`${sup.baseUrl}/health`, { headers: { "x-api-key": TOKEN } })).json()) as Record<string, unknown>;
      expect(health).toMatchObject({ bound: false, prepared: "ready", gateway_proxy: { bound: false } });
      expect(overHttp).toEqual([]);

      const bound = await post("/lap/bind", { ...setup, sessionId: "ses_pod", gatewayKey: "sk-session-ses_pod" }, TOKEN);
      expect(((await bound.json()) as { kept: boolean }).kept).toBe(true);
      const call = (path: string, body?: unknown) =>
        fetch(`${sup.baseUrl}${path}`, {
          method: body === undefined ? "GET" : "POST",
          headers: { "x-api-key": TOKEN, "content-type": "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      const before = model.requests.length;
      const events = await turn(call, sup, "ses_pod", "say hi");
      expect(events.at(-1)?.type).toBe("session.status_idle");
      expect(model.requests.slice(before).map((r) => r.authorization)).toEqual(["sk-session-ses_pod"]);
      expect(overHttp.length).toBeGreaterThan(0);
      for (const r of overHttp) expect(r.auth).toContain("sk-session-ses_pod");
    } finally {
      lapHttp.stop(true);
    }
  }, 60_000);
});
