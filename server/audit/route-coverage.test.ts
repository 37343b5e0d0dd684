/**
 * The audit trail's coverage test (issue 18, "Tests"): every admin or user route of the built app that
 * changes something (POST, PUT, PATCH, DELETE) writes exactly one audit row, with the caller, the
 * request's id, address and user agent, and the action it names. A route is either driven here
 * (SCENARIOS: makes its fixtures, calls the route once, names the action expected) or listed in
 * NOT_AUDITED with the reason; a new route in neither fails the first test, so it cannot ship
 * without an audit row or a reason. The LLM gateway (`llm`), MCP (`mcp`) and stream routes are other
 * kinds of access (server/http/route-policy.ts) and are not walked.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { askReply } from "../../test/support/fake-managed-agents";
import { sessionHarness, type SessionHarness } from "../../test/support/session-harness";
import { TEST_MASTER_KEY } from "../../test/support/app";
import { makeTeam, makeUser } from "../../test/support/teams";
import { accessOf } from "../http/route-policy";
import { strToU8, zipSync } from "fflate";

let h: SessionHarness;
const uid = () => crypto.randomUUID().replaceAll("-", "").slice(0, 10);

/** One call of the route under test: its path (with real ids), body and expected action. */
interface Call {
  path: string;
  body?: unknown;
  /** Besides the request id and user agent (a multipart upload names its content type). */
  headers?: Record<string, string>;
  action: string;
}
type Scenario = () => Promise<Call>;

/** Routes that change something but are not audit rows, and why (docs/operations.md "Audit trail"). */
const NOT_AUDITED: Record<string, string> = {
  "POST /api/sessions/:id/messages": "a conversation, not configuration: the session's own event history records every message",
  "POST /api/sessions/:id/interrupt": "a turn control inside a conversation: the session's events record it",
  "POST /api/sessions/:id/stream-token": "mints a short-lived read-only token from the master key; nothing is stored",
  "POST /api/gateway/models/test": "a probe: it keeps only the model's last health result, not a configuration change",
  "POST /api/runtimes/:id/test": "a probe: it keeps only the runtime's last health result",
  "POST /api/mcp/servers/:id/test": "a probe: lists the server's tools and changes nothing",
  "POST /api/mcp/servers/:id/oauth/start": "starts a sign-in with the MCP server; the tokens are stored at its callback, a public route",
};

// Fixtures the scenarios share (made through the API, like an admin would).
const made = async (method: string, path: string, body?: unknown) => {
  const res = await h.t.json(method, path, { body });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
};
const skillMd = () => `---\nname: s-${uid()}\ndescription: A test skill\n---\nDo it.\n`;
const skill = async () => (await made("POST", "/api/skills", { skill_md: skillMd() })).id as string;
const rule = async () => (await made("POST", "/api/rules", { name: `r-${uid()}`, body: "Be brief." })).id as string;
const agent = async () =>
  (await made("POST", "/api/agents", { name: `a-${uid()}`, model: "claude-sonnet-4-5", runtime_id: h.runtimeId })).id as string;
const session = async () => (await made("POST", "/api/sessions", { agent_id: h.agentId })).id as string;
const user = async () =>
  (await made("POST", "/api/users", { email: `u-${uid()}@example.com`, password: "correct horse battery staple" })).user.id as string;
const gatewayKey = async () => (await made("POST", "/key/generate", { key_alias: `k-${uid()}` })).token_id as string;
const model = async () => {
  const id = crypto.randomUUID();
  await made("POST", "/model/new", {
    model_name: `m-${uid()}`,
    litellm_params: { model: "openai/gpt-x", api_key: "sk-secret-provider-key", api_base: "http://127.0.0.1:1" },
    model_info: { id },
  });
  return id;
};
const mcpServer = async () =>
  (await made("POST", "/api/mcp/servers", { name: `mcp-${uid()}`, transport: "streamable-http", url: "http://127.0.0.1:1/mcp" }))
    .id as string;
const schedule = async () =>
  (await made("POST", "/api/schedules", { name: `s-${uid()}`, agent_id: h.agentId, cron: "0 3 * * *", prompt: "hello" })).id as string;
const trigger = async () =>
  (await made("POST", "/api/triggers", { name: `t-${uid()}`, agent_id: h.agentId, prompt_template: "hello" })).trigger.id as string;
const vaultSecret = async () =>
  (await made("POST", "/api/vault", { name: `V_${uid().toUpperCase()}`, value: "a-vault-value-1234", hosts: ["example.com"] }))
    .id as string;

const SCENARIOS: Record<string, Scenario> = {
  "DELETE /api/auth/sessions/:id": async () => {
    await h.t.request("POST", "/api/auth/login", { key: null, body: { key: TEST_MASTER_KEY } });
    const id = (await made("GET", "/api/auth/sessions")).data[0].id;
    return { path: `/api/auth/sessions/${id}`, action: "dashboard_session.revoke" };
  },
  "POST /api/auth/sessions/revoke-all": async () => ({ path: "/api/auth/sessions/revoke-all", action: "dashboard_session.revoke_all" }),
  "POST /api/keys": async () => ({ path: "/api/keys", body: { label: "ops", role: "user" }, action: "key.create" }),
  "DELETE /api/keys/:id": async () => ({
    path: `/api/keys/${(await made("POST", "/api/keys", { label: "x", role: "user" })).key.id}`,
    action: "key.revoke",
  }),
  "POST /api/teams": async () => ({ path: "/api/teams", body: { alias: `t-${uid()}` }, action: "team.create" }),
  "PATCH /api/teams/:id": async () => ({
    path: `/api/teams/${await makeTeam(h.t, `t-${uid()}`)}`,
    body: { alias: "renamed", max_budget: 10 },
    action: "team.update",
  }),
  "DELETE /api/teams/:id": async () => ({ path: `/api/teams/${await makeTeam(h.t, `t-${uid()}`)}`, action: "team.delete" }),
  "POST /api/teams/:id/members": async () => ({
    path: `/api/teams/${await makeTeam(h.t, `t-${uid()}`)}/members`,
    body: { user_id: await user(), role: "member" },
    action: "team.member_add",
  }),
  "PATCH /api/teams/:id/members/:userId": async () => {
    const team = await makeTeam(h.t, `t-${uid()}`);
    const u = await makeUser(h.t, `m-${uid()}@example.com`, team, "member");
    return { path: `/api/teams/${team}/members/${u.id}`, body: { role: "admin" }, action: "team.member_update" };
  },
  "DELETE /api/teams/:id/members/:userId": async () => {
    const team = await makeTeam(h.t, `t-${uid()}`);
    const u = await makeUser(h.t, `m-${uid()}@example.com`, team, "member");
    return { path: `/api/teams/${team}/members/${u.id}`, action: "team.member_remove" };
  },
  "POST /api/users": async () => ({ path: "/api/users", body: { email: `n-${uid()}@example.com`, role: "member" }, action: "user.create" }),
  "PATCH /api/users/:id": async () => ({
    path: `/api/users/${await user()}`,
    body: { name: "Renamed", password: "a new password 123" },
    action: "user.update",
  }),
  "DELETE /api/users/:id": async () => ({ path: `/api/users/${await user()}`, action: "user.delete" }),
  "POST /api/users/:id/invitation": async () => ({ path: `/api/users/${await user()}/invitation`, action: "user.invite" }),
  "POST /team/new": async () => ({ path: "/team/new", body: { team_alias: `lt-${uid()}` }, action: "team.create" }),
  "POST /team/member_add": async () => ({
    path: "/team/member_add",
    body: { team_id: await makeTeam(h.t, `t-${uid()}`), member: { role: "admin", user_email: `inv-${uid()}@example.com` } },
    action: "team.member_add",
  }),
  // auto_create_key: false, or the key it makes is a second change (key.create) in the same request.
  "POST /user/new": async () => ({
    path: "/user/new",
    body: { user_email: `ln-${uid()}@example.com`, auto_create_key: false },
    action: "user.create",
  }),
  "POST /key/generate": async () => ({
    path: "/key/generate",
    body: { key_alias: `g-${uid()}`, max_budget: 5 },
    action: "gateway_key.create",
  }),
  "POST /key/update": async () => ({
    path: "/key/update",
    body: { key: await gatewayKey(), max_budget: 50 },
    action: "gateway_key.update",
  }),
  "POST /key/delete": async () => ({ path: "/key/delete", body: { keys: [await gatewayKey()] }, action: "key.revoke" }),
  "POST /model/new": async () => ({
    path: "/model/new",
    body: {
      model_name: `m-${uid()}`,
      litellm_params: { model: "openai/gpt-x", api_key: "sk-secret-provider-key", api_base: "http://127.0.0.1:1" },
    },
    action: "model.create",
  }),
  "POST /model/update": async () => ({
    path: "/model/update",
    body: { model_info: { id: await model() }, litellm_params: { api_key: "sk-another-secret-key" } },
    action: "model.update",
  }),
  "POST /model/delete": async () => ({ path: "/model/delete", body: { id: await model() }, action: "model.delete" }),
  "POST /api/mcp/servers": async () => ({
    path: "/api/mcp/servers",
    body: { name: `mcp-${uid()}`, transport: "streamable-http", url: "http://127.0.0.1:1/mcp" },
    action: "mcp_server.create",
  }),
  "PATCH /api/mcp/servers/:id": async () => ({
    path: `/api/mcp/servers/${await mcpServer()}`,
    body: { description: "changed" },
    action: "mcp_server.update",
  }),
  "DELETE /api/mcp/servers/:id": async () => ({ path: `/api/mcp/servers/${await mcpServer()}`, action: "mcp_server.delete" }),
  "POST /api/mcp/grants": async () => ({
    path: "/api/mcp/grants",
    body: { server_id: await mcpServer(), subject_type: "agent", subject_id: h.agentId, tools: null },
    action: "mcp_grant.create",
  }),
  "DELETE /api/mcp/grants/:id": async () => {
    const g = await made("POST", "/api/mcp/grants", {
      server_id: await mcpServer(),
      subject_type: "agent",
      subject_id: h.agentId,
      tools: null,
    });
    return { path: `/api/mcp/grants/${g.id}`, action: "mcp_grant.delete" };
  },
  "PUT /api/mcp/servers/:id/credentials": async () => ({
    path: `/api/mcp/servers/${await mcpServer()}/credentials`,
    body: { credential: "my-own-token-123" },
    action: "mcp_credentials.set",
  }),
  "DELETE /api/mcp/servers/:id/credentials": async () => {
    const id = await mcpServer();
    await made("PUT", `/api/mcp/servers/${id}/credentials`, { credential: "my-own-token-123" });
    return { path: `/api/mcp/servers/${id}/credentials`, action: "mcp_credentials.delete" };
  },
  "POST /api/runtimes": async () => ({
    path: "/api/runtimes",
    body: { alias: `rt-${uid()}`, base_url: h.fake.url, api_key: "runtime-api-key" },
    action: "runtime.create",
  }),
  "DELETE /api/runtimes/:id": async () => ({
    path: `/api/runtimes/${(await made("POST", "/api/runtimes", { alias: `rt-${uid()}`, base_url: h.fake.url, api_key: "k" })).id}`,
    action: "runtime.delete",
  }),
  "POST /api/agents": async () => ({
    path: "/api/agents",
    body: { name: `a-${uid()}`, model: "claude-sonnet-4-5", runtime_id: h.runtimeId },
    action: "agent.create",
  }),
  "PATCH /api/agents/:id": async () => ({ path: `/api/agents/${await agent()}`, body: { description: "changed" }, action: "agent.update" }),
  "POST /api/agents/:id/pause": async () => ({ path: `/api/agents/${await agent()}/pause`, action: "agent.pause" }),
  "POST /api/agents/:id/resume": async () => {
    const id = await agent();
    await made("POST", `/api/agents/${id}/pause`);
    return { path: `/api/agents/${id}/resume`, action: "agent.resume" };
  },
  "DELETE /api/agents/:id": async () => ({ path: `/api/agents/${await agent()}`, action: "agent.delete" }),
  "POST /api/agents/:id/files": async () => ({
    path: `/api/agents/${await agent()}/files`,
    body: '--b0\r\ncontent-disposition: form-data; name="file"; filename="notes.md"\r\ncontent-type: text/markdown\r\n\r\n# notes\r\n--b0--\r\n',
    headers: { "content-type": "multipart/form-data; boundary=b0" },
    action: "agent_file.upload",
  }),
  "PUT /api/agents/:id/files/*": async () => ({
    path: `/api/agents/${await agent()}/files/docs/a.txt`,
    body: "file bytes",
    action: "agent_file.upload",
  }),
  "DELETE /api/agents/:id/files/*": async () => {
    const id = await agent();
    const res = await h.t.request("PUT", `/api/agents/${id}/files/gone.txt`, { body: "x" });
    if (res.status !== 200) throw new Error(`upload: ${res.status}`);
    return { path: `/api/agents/${id}/files/gone.txt`, action: "agent_file.delete" };
  },
  "POST /api/skills": async () => ({ path: "/api/skills", body: { skill_md: skillMd() }, action: "skill.create" }),
  "POST /api/skills/import": async () => ({
    path: "/api/skills/import",
    body: { zip_base64: Buffer.from(zipSync({ "SKILL.md": strToU8(skillMd()) })).toString("base64") },
    action: "skill.create",
  }),
  "PATCH /api/skills/:id": async () => ({ path: `/api/skills/${await skill()}`, body: { skill_md: skillMd() }, action: "skill.update" }),
  "DELETE /api/skills/:id": async () => ({ path: `/api/skills/${await skill()}`, action: "skill.delete" }),
  "POST /api/skills/:id/rollback": async () => ({
    path: `/api/skills/${await skill()}/rollback`,
    body: { version: 1 },
    action: "skill.rollback",
  }),
  "POST /api/rules": async () => ({ path: "/api/rules", body: { name: `r-${uid()}`, body: "Be brief." }, action: "rule.create" }),
  "PATCH /api/rules/:id": async () => ({ path: `/api/rules/${await rule()}`, body: { body: "Be briefer." }, action: "rule.update" }),
  "DELETE /api/rules/:id": async () => ({ path: `/api/rules/${await rule()}`, action: "rule.delete" }),
  "POST /api/rules/:id/rollback": async () => ({
    path: `/api/rules/${await rule()}/rollback`,
    body: { version: 1 },
    action: "rule.rollback",
  }),
  "POST /api/agents/:id/memory": async () => ({
    path: `/api/agents/${await agent()}/memory`,
    body: { key: "k", content: "c" },
    action: "memory.create",
  }),
  "PATCH /api/agents/:id/memory/:memoryId": async () => {
    const id = await agent();
    return {
      path: `/api/agents/${id}/memory/${(await made("POST", `/api/agents/${id}/memory`, { key: "k", content: "c" })).id}`,
      body: { content: "d" },
      action: "memory.update",
    };
  },
  "DELETE /api/agents/:id/memory/:memoryId": async () => {
    const id = await agent();
    return {
      path: `/api/agents/${id}/memory/${(await made("POST", `/api/agents/${id}/memory`, { key: "k", content: "c" })).id}`,
      action: "memory.delete",
    };
  },
  "POST /api/agents/:id/memory/:memoryId/restore": async () => {
    const id = await agent();
    const m = (await made("POST", `/api/agents/${id}/memory`, { key: "k", content: "c" })).id;
    await made("DELETE", `/api/agents/${id}/memory/${m}`);
    return { path: `/api/agents/${id}/memory/${m}/restore`, body: {}, action: "memory.restore" };
  },
  "POST /api/sessions": async () => ({ path: "/api/sessions", body: { agent_id: h.agentId, title: "audited" }, action: "session.create" }),
  "POST /api/sessions/:id/stop": async () => ({ path: `/api/sessions/${await session()}/stop`, action: "session.stop" }),
  "DELETE /api/sessions/:id": async () => ({ path: `/api/sessions/${await session()}`, action: "session.delete" }),
  "PATCH /api/sessions/:id": async () => ({
    path: `/api/sessions/${await session()}`,
    body: { title: "renamed" },
    action: "session.rename",
  }),
  "POST /api/approvals/:id/decision": async () => {
    const s = (await made("POST", "/api/sessions", { agent_id: h.agentId, prompt: "run ls" })).id;
    const approval = await h.waitFor(
      "a pending approval",
      async () => (await h.t.json("GET", `/api/approvals?status=pending&session_id=${s}`)).body.data[0]?.id,
    );
    await h.waitForStatus(s, "awaiting_approval");
    return { path: `/api/approvals/${approval}/decision`, body: { decision: "allow" }, action: "approval.allow" };
  },
  "POST /api/sandboxes/pool/refill": async () => ({ path: "/api/sandboxes/pool/refill", action: "warm_pool.refill" }),
  "POST /api/sandboxes/:id/stop": async () => ({ path: `/api/sandboxes/${await sandbox()}/stop`, action: "sandbox.stop" }),
  "DELETE /api/sandboxes/:id": async () => ({ path: `/api/sandboxes/${await sandbox()}`, action: "sandbox.destroy" }),
  "POST /api/sandboxes/kubernetes/warm-pools/:name/scale": async () => {
    throw new Error("needs a cluster: see KUBERNETES_ONLY");
  },
  "POST /api/schedules": async () => ({
    path: "/api/schedules",
    body: { name: `s-${uid()}`, agent_id: h.agentId, cron: "0 3 * * *", prompt: "hello" },
    action: "schedule.create",
  }),
  "PATCH /api/schedules/:id": async () => ({
    path: `/api/schedules/${await schedule()}`,
    body: { cron: "0 4 * * *" },
    action: "schedule.update",
  }),
  "DELETE /api/schedules/:id": async () => ({ path: `/api/schedules/${await schedule()}`, action: "schedule.delete" }),
  "POST /api/schedules/:id/pause": async () => ({ path: `/api/schedules/${await schedule()}/pause`, action: "schedule.pause" }),
  "POST /api/schedules/:id/resume": async () => {
    const id = await schedule();
    await made("POST", `/api/schedules/${id}/pause`);
    return { path: `/api/schedules/${id}/resume`, action: "schedule.resume" };
  },
  "POST /api/schedules/:id/run": async () => ({ path: `/api/schedules/${await schedule()}/run`, action: "schedule.run" }),
  "POST /api/triggers": async () => ({
    path: "/api/triggers",
    body: { name: `t-${uid()}`, agent_id: h.agentId, prompt_template: "hello" },
    action: "trigger.create",
  }),
  "PATCH /api/triggers/:id": async () => ({
    path: `/api/triggers/${await trigger()}`,
    body: { name: "renamed" },
    action: "trigger.update",
  }),
  "DELETE /api/triggers/:id": async () => ({ path: `/api/triggers/${await trigger()}`, action: "trigger.delete" }),
  "POST /api/triggers/:id/pause": async () => ({ path: `/api/triggers/${await trigger()}/pause`, action: "trigger.pause" }),
  "POST /api/triggers/:id/resume": async () => ({ path: `/api/triggers/${await trigger()}/resume`, action: "trigger.resume" }),
  "POST /api/triggers/:id/rotate-secret": async () => ({
    path: `/api/triggers/${await trigger()}/rotate-secret`,
    action: "trigger.rotate_secret",
  }),
  "POST /api/vault": async () => ({
    path: "/api/vault",
    body: { name: `V_${uid().toUpperCase()}`, value: "a-vault-value-9876", hosts: ["example.com"] },
    action: "vault_secret.create",
  }),
  "PATCH /api/vault/:id": async () => ({
    path: `/api/vault/${await vaultSecret()}`,
    body: { value: "the-rotated-value-5555" },
    action: "vault_secret.rotate",
  }),
  "DELETE /api/vault/:id": async () => ({ path: `/api/vault/${await vaultSecret()}`, action: "vault_secret.delete" }),
  "DELETE /api/slack/installations/:team_id": async () => {
    const team = `T${uid().toUpperCase()}`;
    await h.t.services.slack.store.saveInstallation({
      teamId: team,
      teamName: "Acme",
      appId: null,
      botUserId: "U0BOT",
      botToken: "xoxb-secret-bot-token",
      scopes: "chat:write",
    });
    return { path: `/api/slack/installations/${team}`, action: "slack_installation.delete" };
  },
  "PUT /api/slack/bindings": async () => ({
    path: "/api/slack/bindings",
    body: { team_id: `T${uid().toUpperCase()}`, channel_id: "C0AUDIT", agent_id: h.agentId },
    action: "slack_binding.set",
  }),
  "DELETE /api/slack/bindings/:id": async () => {
    const b = await made("PUT", "/api/slack/bindings", { team_id: `T${uid().toUpperCase()}`, channel_id: "C0AUDIT", agent_id: h.agentId });
    return { path: `/api/slack/bindings/${b.id}`, action: "slack_binding.delete" };
  },
  "PUT /api/slack/dm-allowlist": async () => ({
    path: "/api/slack/dm-allowlist",
    body: { team_id: "T0AUDIT", user_ids: ["U0AAA"] },
    action: "slack_dm_allowlist.set",
  }),
  "PUT /api/integrations/linear/bindings": async () => ({
    path: "/api/integrations/linear/bindings",
    body: { organization_id: `org-${uid()}`, agent_id: h.agentId },
    action: "linear_binding.set",
  }),
  "DELETE /api/integrations/linear/bindings/:organization_id": async () => {
    const org = `org-${uid()}`;
    await made("PUT", "/api/integrations/linear/bindings", { organization_id: org, agent_id: h.agentId });
    return { path: `/api/integrations/linear/bindings/${org}`, action: "linear_binding.delete" };
  },
  "DELETE /api/integrations/linear/installations/:organization_id": async () => {
    const org = `org-${uid()}`;
    await h.t.services.linear.store.saveInstallation({
      organizationId: org,
      organizationName: "Acme",
      urlKey: "acme",
      appUserId: "app-user",
      installedBy: null,
      tokens: { accessToken: "lin-secret-access-token", refreshToken: null, expiresAt: null, scope: "read,write" },
    });
    return { path: `/api/integrations/linear/installations/${org}`, action: "linear_installation.delete" };
  },
};

/**
 * Needs a cluster (LAP_SANDBOX=kubernetes): answered 404 here. Its audit row (`warm_pool.scale`) is
 * checked against the fake cluster in server/sandboxes/kubernetes/routes.test.ts.
 */
const KUBERNETES_ONLY = new Set(["POST /api/sandboxes/kubernetes/warm-pools/:name/scale"]);

/** A live sandbox from the configured provider (LAP_SANDBOX=process here: no bubblewrap needed). */
async function sandbox(): Promise<string> {
  const provider = h.t.services.sandboxes.provider();
  const s = await provider.create({ harness: "builtin", env: {}, workspaceId: `ws-audit-${uid()}`, labels: { agent_id: h.agentId } });
  await provider.waitReady(s.id, { timeoutMs: 20_000 });
  return s.id;
}

const changing = (method: string) => method === "POST" || method === "PUT" || method === "PATCH" || method === "DELETE";

beforeAll(async () => {
  h = await sessionHarness({
    env: { LAP_SANDBOX: "process", WARM_POOL_SIZE: "0" },
    fake: {
      reply: (text) =>
        text.startsWith("run ")
          ? askReply("bash", { command: text.slice(4) })
          : [{ event: { type: "session.status_idle", stop_reason: { type: "end_turn" } } }],
    },
    agent: { approval_required_tools: ["bash"] },
  });
}, 120_000);
afterAll(async () => {
  await h?.t.services.sandboxes.shutdown();
  await h?.close();
});

describe("every admin and user route that changes something writes one audit row", () => {
  test("each such route is driven here or listed with a reason (a new route without audit fails)", () => {
    const routes = h.t.app.routes
      .filter((r) => changing(r.method))
      .filter((r) => ["admin", "user"].includes(accessOf(r.method, r.path) ?? ""))
      .map((r) => `${r.method} ${r.path}`);
    expect(routes.length).toBeGreaterThan(60);
    const unaccounted = routes.filter((r) => !(r in SCENARIOS) && !(r in NOT_AUDITED));
    expect(unaccounted).toEqual([]);
    const stale = [...Object.keys(SCENARIOS), ...Object.keys(NOT_AUDITED)].filter((r) => !routes.includes(r));
    expect(stale).toEqual([]);
  });

  test("a call of each writes exactly one row naming the action, the caller, its user agent and request id", async () => {
    const wrong: string[] = [];
    for (const [route, scenario] of Object.entries(SCENARIOS)) {
      if (KUBERNETES_ONLY.has(route)) continue;
      const method = route.split(" ")[0]!;
      let call: Call;
      try {
        call = await scenario();
      } catch (err) {
        wrong.push(`${route}: fixture failed: ${(err as Error).message}`);
        continue;
      }
      const requestId = `audit-${uid()}`;
      const res = await h.t.request(method, call.path, {
        body: call.body ?? (method === "DELETE" ? undefined : {}),
        headers: { ...call.headers, "x-request-id": requestId, "user-agent": "audit-coverage/1.0" },
      });
      const text = await res.text();
      if (res.status >= 300) {
        wrong.push(`${route}: ${res.status} ${text.slice(0, 200)}`);
        continue;
      }
      const rows = await h.t.database.query<{ action: string; actor_kind: string; actor_label: string; user_agent: string | null }>(
        "select action, actor_kind, actor_label, user_agent from audit_log where request_id = $1",
        [requestId],
      );
      if (rows.length !== 1) wrong.push(`${route}: ${rows.length} audit rows (${rows.map((r) => r.action).join(", ")}), expected 1`);
      else if (rows[0]!.action !== call.action) wrong.push(`${route}: action ${rows[0]!.action}, expected ${call.action}`);
      else if (rows[0]!.actor_kind !== "admin" || rows[0]!.actor_label !== "master key" || rows[0]!.user_agent !== "audit-coverage/1.0") {
        wrong.push(`${route}: actor ${JSON.stringify(rows[0])}`);
      }
    }
    expect(wrong).toEqual([]);
  }, 300_000);

  test("no audit row holds a secret the scenarios used", async () => {
    const [dump] = await h.t.database.query<{ text: string }>(
      "select coalesce(string_agg(changes::text || detail::text, ' '), '') as text from audit_log",
    );
    for (const secret of [
      "sk-secret-provider-key",
      "sk-another-secret-key",
      "a-vault-value",
      "the-rotated-value",
      "my-own-token-123",
      "xoxb-secret-bot-token",
      "runtime-api-key",
      "correct horse",
      "a new password",
    ]) {
      expect(dump!.text).not.toContain(secret);
    }
    expect(dump!.text).toContain("[redacted]");
  });

  test("a refused change writes no row", async () => {
    const requestId = `audit-${uid()}`;
    const res = await h.t.json("POST", "/api/agents", { body: { name: "", model: "m" }, headers: { "x-request-id": requestId } });
    expect(res.status).toBe(400);
    expect(await h.t.database.query("select 1 from audit_log where request_id = $1", [requestId])).toEqual([]);
  });
});
