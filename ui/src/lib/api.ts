// Typed calls to LAP's API. Types come from the server's own models so the two cannot drift.
import type { ApiKeyView, CreateKeyInput } from "../../../server/auth/model";
import type { CreateServerInput, GrantView, ServerView, ToolCallView } from "../../../server/mcp/model";
import type { SystemInfo } from "../../../server/settings/model";
import type { KubernetesStatus } from "../../../server/sandboxes/kubernetes/model";

export type { ApiKeyView, CreateKeyInput, SystemInfo };
export type { CreateServerInput, GrantView, ServerView, ToolCallView };
export interface McpTestResult {
  ok: boolean;
  duration_ms: number;
  error?: string;
  tools: { name: string; description: string; enabled: boolean }[];
  prompts: { name: string; description: string }[];
  resources: { uri: string; name: string }[];
}
export interface McpHealth {
  state: string;
  connections: number;
  last_connected_at: string | null;
  recent_errors: { at: string; message: string }[];
}
export type { KubernetesStatus };
import type { AgentView, CreateAgentInput, UpdateAgentInput } from "../../../server/agents/model";
import type { ApprovalView } from "../../../server/approvals/model";

export type { ApprovalView };
import type { CreateRuntimeInput, RuntimeView } from "../../../server/runtimes/model";
import type { CreateSessionInput, SessionStatusChange, SessionView, StoredEvent } from "../../../server/sessions/model";
import type { AllowlistBody, BindingBody, SlackEventView, SlackStatus } from "../../../server/slack/model";

export type { AgentView, CreateAgentInput, CreateRuntimeInput, RuntimeView, SessionStatusChange, SessionView, StoredEvent };
export type SessionListItem = Omit<SessionView, "queued_turns">;
const q = (params: Record<string, string | number | undefined>) => {
  const s = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== "").map(([k, v]) => [k, String(v)]));
  return s.size ? `?${s}` : "";
};
export type { SlackEventView, SlackStatus };
export interface SlackBinding {
  id: string;
  team_id: string;
  channel_id: string;
  agent_id: string;
}
import type { HarnessInfo } from "../../../server/harnesses/model";

export type { HarnessInfo };
export interface Me {
  name: string;
  role: "admin" | "user";
  via: string;
  label: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: { field: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/** Called when any request comes back 401, so the app can send the user to the login page. */
let onUnauthorized: () => void = () => {};
export const setUnauthorizedHandler = (fn: () => void) => (onUnauthorized = fn);

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network", "LAP is not reachable. Is `npm start` still running?");
  }
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (!res.ok) {
    if (res.status === 401 && !path.endsWith("/login")) onUnauthorized();
    const err = json?.error ?? {};
    throw new ApiError(res.status, err.code ?? "http_error", err.message ?? `HTTP ${res.status}`, err.fields);
  }
  return json as T;
}

export const api = {
  auth: {
    login: (key: string) => request<Me>("POST", "/api/auth/login", { key }),
    logout: () => request<{ ok: true }>("POST", "/api/auth/logout"),
    me: () => request<Me>("GET", "/api/auth/me"),
  },
  keys: {
    list: () => request<{ data: ApiKeyView[] }>("GET", "/api/keys").then((r) => r.data),
    create: (input: CreateKeyInput) => request<{ key: ApiKeyView; token: string }>("POST", "/api/keys", input),
    revoke: (id: string) => request<ApiKeyView>("DELETE", `/api/keys/${encodeURIComponent(id)}`),
  },
  settings: {
    system: () => request<SystemInfo>("GET", "/api/settings/system"),
  },
  mcp: {
    list: () => request<{ data: ServerView[] }>("GET", "/api/mcp/servers").then((r) => r.data),
    create: (input: CreateServerInput) => request<ServerView>("POST", "/api/mcp/servers", input),
    update: (id: string, change: Partial<CreateServerInput>) => request<ServerView>("PATCH", `/api/mcp/servers/${encodeURIComponent(id)}`, change),
    remove: (id: string) => request<{ ok: true }>("DELETE", `/api/mcp/servers/${encodeURIComponent(id)}`),
    test: (id: string) => request<McpTestResult>("POST", `/api/mcp/servers/${encodeURIComponent(id)}/test`),
    health: (id: string) => request<McpHealth>("GET", `/api/mcp/servers/${encodeURIComponent(id)}/health`),
    grants: (serverId: string) => request<{ data: GrantView[] }>("GET", `/api/mcp/grants?server_id=${encodeURIComponent(serverId)}`).then((r) => r.data),
    grant: (input: { server_id: string; subject_type: "key" | "user" | "agent"; subject_id: string; tools: string[] | null }) =>
      request<GrantView>("POST", "/api/mcp/grants", input),
    revokeGrant: (id: string) => request<{ ok: true }>("DELETE", `/api/mcp/grants/${encodeURIComponent(id)}`),
    calls: (server?: string) => request<{ data: ToolCallView[] }>("GET", `/api/mcp/calls?limit=50${server ? `&server=${encodeURIComponent(server)}` : ""}`).then((r) => r.data),
    oauthStart: (id: string) => request<{ authorization_url: string; redirect_uri: string }>("POST", `/api/mcp/servers/${encodeURIComponent(id)}/oauth/start`),
  },
  kubernetes: {
    status: () => request<KubernetesStatus>("GET", "/api/sandboxes/kubernetes"),
    scalePool: (name: string, replicas: number) =>
      request<{ name: string; replicas: number }>("POST", `/api/sandboxes/kubernetes/warm-pools/${encodeURIComponent(name)}/scale`, { replicas }),
  },
  runtimes: {
    list: () => request<{ data: RuntimeView[] }>("GET", "/api/runtimes").then((r) => r.data),
    create: (input: CreateRuntimeInput) => request<RuntimeView>("POST", "/api/runtimes", input),
    test: (id: string) => request<RuntimeView>("POST", `/api/runtimes/${encodeURIComponent(id)}/test`),
    remove: (id: string) => request<RuntimeView>("DELETE", `/api/runtimes/${encodeURIComponent(id)}`),
  },
  agents: {
    list: (search?: string) => request<{ data: AgentView[] }>("GET", `/api/agents${q({ q: search, limit: 200 })}`).then((r) => r.data),
    get: (id: string) => request<AgentView>("GET", `/api/agents/${encodeURIComponent(id)}`),
    create: (input: CreateAgentInput) => request<AgentView>("POST", "/api/agents", input),
    update: (id: string, input: UpdateAgentInput) => request<AgentView>("PATCH", `/api/agents/${encodeURIComponent(id)}`, input),
    pause: (id: string) => request<AgentView>("POST", `/api/agents/${encodeURIComponent(id)}/pause`),
    resume: (id: string) => request<AgentView>("POST", `/api/agents/${encodeURIComponent(id)}/resume`),
    remove: (id: string) => request<AgentView>("DELETE", `/api/agents/${encodeURIComponent(id)}`),
  },
  approvals: {
    list: (opts: { status?: ApprovalView["status"]; session_id?: string; limit?: number } = {}) =>
      request<{ data: ApprovalView[]; next_cursor: string | null }>("GET", `/api/approvals${q({ limit: 100, ...opts })}`),
    summary: () => request<{ pending: number }>("GET", "/api/approvals/summary"),
    decide: (id: string, decision: "allow" | "deny", message?: string) =>
      request<{ approval: ApprovalView; turn_id: string; seq: number }>("POST", `/api/approvals/${encodeURIComponent(id)}/decision`, { decision, ...(message ? { message } : {}) }),
  },
  sessions: {
    list: (opts: { agent_id?: string; cursor?: string; limit?: number } = {}) =>
      request<{ data: SessionListItem[]; next_cursor: string | null }>("GET", `/api/sessions${q({ limit: 50, ...opts })}`),
    get: (id: string) => request<SessionView>("GET", `/api/sessions/${encodeURIComponent(id)}`),
    create: (input: CreateSessionInput) => request<SessionView>("POST", "/api/sessions", input),
    send: (id: string, text: string, interrupt = false) =>
      request<{ turn_id: string; seq: number; queued: boolean }>("POST", `/api/sessions/${encodeURIComponent(id)}/messages`, { text, interrupt }),
    interrupt: (id: string) => request<{ interrupted: boolean }>("POST", `/api/sessions/${encodeURIComponent(id)}/interrupt`),
    stop: (id: string) => request<SessionView>("POST", `/api/sessions/${encodeURIComponent(id)}/stop`),
    remove: (id: string) => request<{ ok: boolean }>("DELETE", `/api/sessions/${encodeURIComponent(id)}`),
    /** Same-origin EventSource: the session cookie authenticates it, and it resends Last-Event-ID on reconnect. */
    streamUrl: (id: string, after = 0) => `/api/sessions/${encodeURIComponent(id)}/stream?after=${after}`,
    /** SSE of session status changes (`event: status`), from every replica. */
    statusStreamUrl: (agentId?: string) => `/api/sessions/stream${q({ agent_id: agentId })}`,
  },
  slack: {
    status: () => request<SlackStatus>("GET", "/api/slack/status"),
    manifest: () => request<Record<string, unknown>>("GET", "/api/slack/manifest"),
    removeInstallation: (teamId: string) => request<{ ok: true }>("DELETE", `/api/slack/installations/${encodeURIComponent(teamId)}`),
    bindings: () => request<{ data: SlackBinding[] }>("GET", "/api/slack/bindings").then((r) => r.data),
    bind: (input: Partial<BindingBody> & { agent_id: string }) => request<SlackBinding>("PUT", "/api/slack/bindings", input),
    unbind: (id: string) => request<{ ok: true }>("DELETE", `/api/slack/bindings/${encodeURIComponent(id)}`),
    allowlist: () => request<{ data: Array<{ team_id: string; user_id: string }> }>("GET", "/api/slack/dm-allowlist").then((r) => r.data),
    setAllowlist: (input: Partial<AllowlistBody> & { user_ids: string[] }) => request<{ team_id: string; user_ids: string[] }>("PUT", "/api/slack/dm-allowlist", input),
    events: (limit = 50) => request<{ data: SlackEventView[] }>("GET", `/api/slack/events?limit=${limit}`).then((r) => r.data),
  },
  harnesses: {
    list: () => request<{ data: HarnessInfo[] }>("GET", "/api/harnesses").then((r) => r.data),
  },
};

// Sandboxes (server/sandboxes/model.ts).
import type { z } from "zod";
import type { egressRecordView, poolView, SandboxView } from "../../../server/sandboxes/model";
export type { SandboxView };
export type PoolView = z.infer<typeof poolView>;
export type EgressRecordView = z.infer<typeof egressRecordView>;
export const sandboxesApi = {
  list: (sessionId?: string) => request<{ data: SandboxView[] }>("GET", `/api/sandboxes${sessionId ? `?session_id=${encodeURIComponent(sessionId)}` : ""}`).then((r) => r.data),
  pool: () => request<PoolView>("GET", "/api/sandboxes/pool"),
  refillPool: () => request<PoolView>("POST", "/api/sandboxes/pool/refill"),
  egress: (params: { session_id?: string; sandbox_id?: string; before?: number; limit?: number } = {}) =>
    request<{ data: EgressRecordView[]; next_before: number | null }>("GET", `/api/sandboxes/egress${q(params)}`),
  stop: (id: string) => request<{ ok: true }>("POST", `/api/sandboxes/${encodeURIComponent(id)}/stop`),
  destroy: (id: string, dropWorkspace = false) => request<{ ok: true }>("DELETE", `/api/sandboxes/${encodeURIComponent(id)}${dropWorkspace ? "?drop_workspace=true" : ""}`),
};

// Vault (server/vault/model.ts): values are write-only.
import type { CreateVaultSecretInput, UpdateVaultSecretInput, VaultSecretView } from "../../../server/vault/model";
export type { CreateVaultSecretInput, UpdateVaultSecretInput, VaultSecretView };
export const vaultApi = {
  list: () => request<{ data: VaultSecretView[] }>("GET", "/api/vault").then((r) => r.data),
  create: (input: CreateVaultSecretInput) => request<VaultSecretView>("POST", "/api/vault", input),
  update: (id: string, input: UpdateVaultSecretInput) => request<VaultSecretView>("PATCH", `/api/vault/${encodeURIComponent(id)}`, input),
  remove: (id: string) => request<VaultSecretView>("DELETE", `/api/vault/${encodeURIComponent(id)}`),
};
