/**
 * The route-table authorization test (issue 15, "Tests"): every route of the built app, called by every
 * kind of caller, answers what the policy table (server/http/route-policy.ts) says, and a refused call
 * writes nothing (a checksum of every table before and after). A route without a policy entry fails.
 *
 * Callers: none, the master key, an admin key, a user key that owns the fixtures (A), another user key
 * (B), a gateway virtual key, a session key minted for A's session, the dashboard cookie (same origin),
 * and the same cookie sent from a foreign Origin (CSRF).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { askReply } from "../../test/support/fake-managed-agents";
import { sessionHarness, type SessionHarness } from "../../test/support/session-harness";
import { TEST_MASTER_KEY } from "../../test/support/app";
import type { CallerKind } from "../auth/model";
import { PUBLIC_ROUTES } from "./public-routes";
import { accessOf, KINDS_BY_ACCESS, ROUTE_POLICY } from "./route-policy";

interface Caller {
  name: string;
  kind: CallerKind | null;
  headers: () => Record<string, string>;
}

let h: SessionHarness;
const ids = { agentA: "", sessionA: "", approvalA: "", adminKeyId: "", gatewayKeyId: "", dashboardSessionId: "" };
const keys = { admin: "", userA: "", userB: "", gateway: "", session: "" };
let cookie = "";
let callers: Caller[] = [];

beforeAll(async () => {
  h = await sessionHarness({
    fake: { reply: (text) => (text.startsWith("run ") ? askReply("bash", { command: text.slice(4) }) : [{ event: { type: "session.status_idle", stop_reason: { type: "end_turn" } } }]) },
  });
  const t = h.t;
  const made = async (label: string, role: string) => (await t.json("POST", "/api/keys", { body: { label, role } })).body;
  const admin = await made("ops", "admin");
  keys.admin = admin.token;
  ids.adminKeyId = admin.key.id;
  keys.userA = (await made("alice", "user")).token;
  keys.userB = (await made("bob", "user")).token;
  const gw = await t.json("POST", "/key/generate", { body: { key_alias: "ci-virtual" } });
  keys.gateway = gw.body.key;
  ids.gatewayKeyId = gw.body.token_id;

  // A's agent, session and pending approval, made with A's own key.
  const agent = await t.json("POST", "/api/agents", { key: keys.userA, body: { name: "alice-agent", model: "claude-sonnet-4-5", runtime_id: h.runtimeId, approval_required_tools: ["bash"] } });
  expect(agent.status).toBe(201);
  ids.agentA = agent.body.id;
  const session = await t.json("POST", "/api/sessions", { key: keys.userA, body: { agent_id: ids.agentA, prompt: "run ls" } });
  expect(session.status).toBe(201);
  ids.sessionA = session.body.id;
  ids.approvalA = await h.waitFor("A's approval", async () => (await t.json("GET", `/api/approvals?status=pending&session_id=${ids.sessionA}`)).body.data[0]?.id);
  await h.waitForStatus(ids.sessionA, "awaiting_approval");
  keys.session = (await t.services.gateway.mintSessionKey({ sessionId: ids.sessionA, agentId: ids.agentA, models: ["claude-sonnet-4-5"] })).key;

  const login = await t.request("POST", "/api/auth/login", { key: null, body: { key: TEST_MASTER_KEY } });
  cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
  ids.dashboardSessionId = (await t.json("GET", "/api/auth/sessions")).body.data[0].id;

  const bearer = (k: () => string) => () => ({ authorization: `Bearer ${k()}` });
  callers = [
    { name: "none", kind: null, headers: () => ({}) },
    { name: "master key", kind: "admin", headers: bearer(() => TEST_MASTER_KEY) },
    { name: "admin key", kind: "admin", headers: bearer(() => keys.admin) },
    { name: "user key A (owner)", kind: "user", headers: bearer(() => keys.userA) },
    { name: "user key B (another's)", kind: "user", headers: bearer(() => keys.userB) },
    { name: "gateway virtual key", kind: "gateway", headers: bearer(() => keys.gateway) },
    { name: "session key", kind: "session", headers: bearer(() => keys.session) },
    { name: "dashboard cookie", kind: "admin", headers: () => ({ cookie, origin: "http://localhost", "sec-fetch-site": "same-origin" }) },
    { name: "dashboard cookie, foreign Origin", kind: "admin", headers: () => ({ cookie, origin: "https://evil.example", "sec-fetch-site": "cross-site" }) },
  ];
}, 120_000);
afterAll(() => h?.close());

/** Every table's content, hashed in the database. */
async function checksum(): Promise<Record<string, string>> {
  const tables = await h.t.database.query<{ name: string }>("select tablename as name from pg_tables where schemaname = 'public' order by 1");
  const out: Record<string, string> = {};
  for (const { name } of tables) {
    const [row] = await h.t.database.query<{ sum: string }>(`select md5(coalesce(string_agg(x::text, '|' order by x::text), '')) as sum from "${name}" x`);
    out[name] = row!.sum;
  }
  return out;
}

/** Real ids of A's objects (and of keys/sessions worth protecting), so a refused call had something to hit. */
function realPath(pattern: string): string {
  const byPrefix: Array<[RegExp, string]> = [
    [/^\/api\/agents\/:id/, ids.agentA],
    [/^\/api\/sessions\/:id/, ids.sessionA],
    [/^\/api\/approvals\/:id/, ids.approvalA],
    [/^\/api\/keys\/:id/, ids.adminKeyId],
    [/^\/api\/auth\/sessions\/:id/, ids.dashboardSessionId],
  ];
  const id = byPrefix.find(([re]) => re.test(pattern))?.[1];
  return pattern.replace(/:(\w+)/g, (_m, name) => (id && name === "id" ? id : `x-${name}`)).replace(/\*$/, "anything");
}
const fakePath = (pattern: string) => pattern.replace(/:(\w+)/g, "x-$1").replace(/\*$/, "anything");

/** Bodies that would succeed for a caller allowed to make them: a refusal must not depend on a bad body. */
const VALID_BODIES: Record<string, () => unknown> = {
  "POST /api/keys": () => ({ label: "escalated", role: "admin" }),
  "POST /api/agents": () => ({ name: `evil-${crypto.randomUUID().slice(0, 8)}`, model: "m", runtime_id: h.runtimeId }),
  "PATCH /api/agents/:id": () => ({ approval_required_tools: [], description: "changed" }),
  "POST /api/sessions": () => ({ agent_id: ids.agentA }),
  "POST /api/sessions/:id/messages": () => ({ text: "hello" }),
  "POST /api/approvals/:id/decision": () => ({ decision: "allow" }),
  "POST /key/generate": () => ({ key_alias: "escalated" }),
  "POST /key/update": () => ({ key: ids.gatewayKeyId, max_budget: 1_000_000 }),
  "POST /key/delete": () => ({ keys: [ids.gatewayKeyId] }),
  "POST /model/new": () => ({ model_name: "evil", litellm_params: { model: "openai/evil", api_key: "sk-x", api_base: "http://127.0.0.1:1" } }),
  "POST /api/vault": () => ({ name: "EVIL", value: "v", hosts: ["example.com"] }),
  "POST /api/runtimes": () => ({ alias: "evil", base_url: "http://127.0.0.1:1", api_key: "k" }),
  "POST /api/mcp/servers": () => ({ name: "evil", transport: "http", url: "http://127.0.0.1:1/mcp" }),
};

/** Routes whose success would end the fixtures the rest of the walk needs; allowed callers skip them. */
const DISRUPTIVE = new Set(["POST /api/auth/sessions/revoke-all", "POST /api/sandboxes/pool/refill"]);

/** What a refused caller gets, or null when the caller is let through (then: anything but 401/403). */
function expectedRefusal(method: string, route: string, caller: Caller): number | null {
  const access = accessOf(method, route);
  if (access === null) return null;
  if (caller.kind === null) return 401;
  if (caller.name.includes("foreign Origin")) return 403;
  if (!KINDS_BY_ACCESS[access].includes(caller.kind)) return 403;
  if (caller.name.startsWith("user key B")) {
    // Another user's agent, session or approval does not exist for B.
    if (/^\/api\/(agents|sessions|approvals)\/:id/.test(route)) return 404;
    if (method === "POST" && route === "/api/sessions") return 400;
  }
  return null;
}

const send = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
  const res = await h.t.request(method, path, { key: null, headers, body: method === "GET" || method === "HEAD" ? undefined : body ?? {} });
  await res.body?.cancel().catch(() => {});
  return res.status;
};

describe("route-table authorization", () => {
  test("every route has a policy entry, and every entry is a route", () => {
    const routes = h.t.app.routes.map((r) => `${r.method} ${r.path}`);
    const missing = routes.filter((r) => !PUBLIC_ROUTES.has(r) && !ROUTE_POLICY.has(r));
    expect(missing).toEqual([]);
    const stale = [...ROUTE_POLICY.keys()].filter((r) => !routes.includes(r));
    expect(stale).toEqual([]);
  });

  test("each caller gets the status the policy says, and a refused call writes nothing", async () => {
    const routes = h.t.app.routes.filter((r) => r.method !== "WS" && accessOf(r.method, r.path) !== null);
    expect(routes.length).toBeGreaterThan(90);
    const wrong: string[] = [];
    for (const r of routes) {
      const key = `${r.method} ${r.path}`;
      const refused = callers.map((c) => ({ c, status: expectedRefusal(r.method, r.path, c) })).filter((x) => x.status !== null);
      const before = await checksum();
      for (const { c, status } of refused) {
        const got = await send(r.method, realPath(r.path), c.headers(), VALID_BODIES[key]?.());
        if (got !== status) wrong.push(`${key} by ${c.name}: ${got}, expected ${status}`);
      }
      const after = await checksum();
      const changed = Object.keys(before).filter((tname) => before[tname] !== after[tname]);
      if (changed.length) wrong.push(`${key}: refused calls changed ${changed.join(", ")}`);
      if (DISRUPTIVE.has(key)) continue;
      for (const c of callers.filter((c) => expectedRefusal(r.method, r.path, c) === null)) {
        const got = await send(r.method, fakePath(r.path), c.headers());
        if (got === 401 || got === 403 || got === 429) wrong.push(`${key} by ${c.name}: ${got}, expected to be let through`);
      }
    }
    expect(wrong).toEqual([]);
  }, 300_000);

  test("lists show a user key only its own agents, sessions and approvals; admins see all", async () => {
    const t = h.t;
    const seen = async (key: string, path: string) => ((await t.json("GET", path, { key })).body.data as Array<{ id: string }>).map((x) => x.id);
    expect(await seen(keys.userA, "/api/agents")).toEqual([ids.agentA]);
    expect(await seen(keys.userB, "/api/agents")).toEqual([]);
    expect(await seen(keys.admin, "/api/agents")).toContain(ids.agentA);
    expect(await seen(keys.userA, "/api/sessions")).toEqual([ids.sessionA]);
    expect(await seen(keys.userB, "/api/sessions")).toEqual([]);
    expect(await seen(keys.userA, "/api/approvals")).toEqual([ids.approvalA]);
    expect(await seen(keys.userB, "/api/approvals")).toEqual([]);
    expect((await t.json("GET", "/api/approvals/summary", { key: keys.userB })).body.pending).toBe(0);
    expect((await t.json("GET", "/api/approvals/summary", { key: keys.userA })).body.pending).toBe(1);
  });

  test("the session key is refused on every /api route with a message saying what it may call", async () => {
    const res = await h.t.json("POST", `/api/approvals/${ids.approvalA}/decision`, { key: keys.session, body: { decision: "allow" } });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain("A session key may not call POST /api/approvals/");
    expect(res.body.error.message).toContain("LLM gateway");
    expect((await h.t.json("GET", `/api/approvals/${ids.approvalA}`)).body.status).toBe("pending");
  });
});
