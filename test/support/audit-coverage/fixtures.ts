/**
 * The shared helper of the audit trail's coverage test (server/audit/route-coverage.test.ts): what a
 * scenario is, and the fixtures scenarios make through the API, as an admin would. The scenarios
 * themselves are in one file per area beside this one.
 */
import type { SessionHarness } from "../session-harness";

/** One call of the route under test: its path (with real ids), body and expected action. */
export interface Call {
  path: string;
  body?: unknown;
  /** Besides the request id and user agent (a multipart upload names its content type). */
  headers?: Record<string, string>;
  action: string;
}
/** Makes a route's fixtures and says how to call it once. */
export type Scenario = () => Promise<Call>;
/** Scenarios by route (`METHOD /path` as the route table names it). */
export type Scenarios = Record<string, Scenario>;

export const uid = () => crypto.randomUUID().replaceAll("-", "").slice(0, 10);

export type Fixtures = ReturnType<typeof fixturesFor>;

/** Fixtures on `h`'s app: each call makes a new object and returns its id. */
export function fixturesFor(h: SessionHarness) {
  const made = async (method: string, path: string, body?: unknown) => {
    const res = await h.t.json(method, path, { body });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const skillMd = () => `---\nname: s-${uid()}\ndescription: A test skill\n---\nDo it.\n`;
  return {
    h,
    made,
    skillMd,
    skill: async () => (await made("POST", "/api/skills", { skill_md: skillMd() })).id as string,
    rule: async () => (await made("POST", "/api/rules", { name: `r-${uid()}`, body: "Be brief." })).id as string,
    agent: async () =>
      (await made("POST", "/api/agents", { name: `a-${uid()}`, model: "claude-sonnet-4-5", runtime_id: h.runtimeId })).id as string,
    session: async () => (await made("POST", "/api/sessions", { agent_id: h.agentId })).id as string,
    user: async () =>
      (await made("POST", "/api/users", { email: `u-${uid()}@example.com`, password: "correct horse battery staple" })).user.id as string,
    gatewayKey: async () => (await made("POST", "/key/generate", { key_alias: `k-${uid()}` })).token_id as string,
    model: async () => {
      const id = crypto.randomUUID();
      await made("POST", "/model/new", {
        model_name: `m-${uid()}`,
        litellm_params: { model: "openai/gpt-x", api_key: "sk-secret-provider-key", api_base: "http://127.0.0.1:1" },
        model_info: { id },
      });
      return id;
    },
    mcpServer: async () =>
      (await made("POST", "/api/mcp/servers", { name: `mcp-${uid()}`, transport: "streamable-http", url: "http://127.0.0.1:1/mcp" }))
        .id as string,
    schedule: async () =>
      (await made("POST", "/api/schedules", { name: `s-${uid()}`, agent_id: h.agentId, cron: "0 3 * * *", prompt: "hello" })).id as string,
    trigger: async () =>
      (await made("POST", "/api/triggers", { name: `t-${uid()}`, agent_id: h.agentId, prompt_template: "hello" })).trigger.id as string,
    vaultSecret: async () =>
      (await made("POST", "/api/vault", { name: `V_${uid().toUpperCase()}`, value: "a-vault-value-1234", hosts: ["example.com"] }))
        .id as string,
    /** A live sandbox from the configured provider (LAP_SANDBOX=process here: no bubblewrap needed). */
    sandbox: async () => {
      const provider = h.t.services.sandboxes.provider();
      const s = await provider.create({ harness: "builtin", env: {}, workspaceId: `ws-audit-${uid()}`, labels: { agent_id: h.agentId } });
      await provider.waitReady(s.id, { timeoutMs: 20_000 });
      return s.id;
    },
  };
}
