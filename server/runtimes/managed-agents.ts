import { createHash } from "node:crypto";
import type { ContentPart, SessionEventData } from "../../schema/session-events";
import { confirmationIn, sessionEventData, toolConfirmationEvent } from "../../schema/session-events";
import {
  RuntimeError,
  type AgentDefinition,
  type RemoteAgentRef,
  type RemoteSessionState,
  type RuntimeAdapter,
  type RuntimeEvent,
  type StreamOptions,
} from "./adapter";
import { crossOriginRedirect, fetchWithinOrigin, REDIRECT_REFUSED } from "../net/origin-fetch";
import { parseSse } from "./sse";

/**
 * Remote adapter for any service speaking the Managed Agents HTTP protocol
 * (reference/lap-rust-core.md §3.2): agents, environments, sessions, `user.message` /
 * `user.interrupt` events, and the SSE event stream (resumable with Last-Event-ID).
 */
export interface ManagedAgentsOptions {
  baseUrl: string;
  apiKey: string;
  fetch?: typeof fetch;
  /** Per-request timeout for non-streaming calls. */
  timeoutMs?: number;
}

const BETA = "managed-agents-2026-04-01";

/** Runtime event types LAP passes through; others (spans, status_rescheduling, …) are dropped. */
const PASSTHROUGH = new Set([
  "agent.message",
  "agent.thinking",
  "agent.tool_use",
  "agent.tool_result",
  "session.status_running",
  "session.status_idle",
  "session.error",
  "user.message",
  "user.tool_confirmation",
]);

/**
 * Stable hash of everything in a definition that the runtime-side agent, its environment or its
 * sessions depend on: a change to any of them makes the next session create a new remote agent
 * and environment; an unchanged definition reuses them.
 */
export function agentSignature(agent: AgentDefinition): string {
  const env = Object.entries(agent.environment).sort(([a], [b]) => a.localeCompare(b));
  const material = JSON.stringify([
    agent.name,
    agent.description,
    agent.model,
    agent.systemPrompt,
    agent.tools,
    agent.mcpServers,
    env,
    agent.repoUrl,
    agent.repoBranch,
    agent.skillIds ?? [],
    agent.ruleIds ?? [],
    agent.vaultKeys ?? [],
    agent.approvalRequiredTools,
  ]);
  return createHash("sha256").update(material).digest("hex").slice(0, 32);
}

/** Metadata values are strings of at most 512 characters on Managed Agents runtimes. */
const idsMeta = (ids: string[] | undefined) => (ids?.length ? ids.join(",").slice(0, 512) : undefined);

/**
 * The environment config LAP asks for. `packages`/`networking` are the protocol's documented
 * fields; the agent's environment variables travel as `config.env` (a LAP extension, sent only when
 * the agent has some; runtimes that run the sandbox themselves export them into it).
 */
export function environmentConfig(agent: AgentDefinition): Record<string, unknown> {
  const config: Record<string, unknown> = { type: "cloud", networking: { type: "unrestricted" } };
  if (Object.keys(agent.environment).length) config.env = { ...agent.environment };
  return config;
}

/** The agent's repository as a session resource (the protocol's `github_repository` shape). */
export function repositoryResources(agent: AgentDefinition): Array<Record<string, unknown>> | undefined {
  if (!agent.repoUrl) return undefined;
  return [
    {
      type: "github_repository",
      url: agent.repoUrl,
      ...(agent.repoBranch ? { checkout: { type: "branch", name: agent.repoBranch } } : {}),
    },
  ];
}

/** Maps one runtime event onto LAP's types; null for events LAP does not surface. */
export function normalizeRuntimeEvent(raw: Record<string, unknown>): RuntimeEvent | null {
  let type = typeof raw.type === "string" ? raw.type : "";
  if (type === "agent.mcp_tool_use" || type === "agent.custom_tool_use") type = "agent.tool_use";
  if (type === "agent.mcp_tool_result") type = "agent.tool_result";
  if (type === "session.status_terminated") type = "session.error";
  if (!PASSTHROUGH.has(type)) return null;
  const { id, processed_at: _p, ...rest } = raw;
  const candidate: Record<string, unknown> = { ...rest, type };
  // A tool_use's event id is what `user.tool_confirmation.tool_use_id` and requires_action's event_ids name.
  if (type === "agent.tool_use" && typeof id === "string") candidate.id = id;
  if (type === "session.error" && typeof (candidate.error as { message?: unknown } | undefined)?.message !== "string") {
    candidate.error = {
      message: raw.type === "session.status_terminated" ? "The runtime terminated the session" : "The runtime reported an error",
    };
  }
  if (type === "agent.thinking" && typeof candidate.thinking !== "string") delete candidate.thinking;
  const parsed = sessionEventData.safeParse(candidate);
  if (!parsed.success) return null;
  return { event: parsed.data as SessionEventData, providerEventId: typeof id === "string" ? id : undefined };
}

/** The built-in toolset; tools that need a person's decision get the `always_ask` permission policy. */
export function toolset(approvalRequiredTools: string[]) {
  return {
    type: "agent_toolset_20260401",
    ...(approvalRequiredTools.length
      ? { configs: approvalRequiredTools.map((name) => ({ name, permission_policy: { type: "always_ask" } })) }
      : {}),
  };
}

export class ManagedAgentsAdapter implements RuntimeAdapter {
  private readonly base: string;
  private readonly fetch: typeof fetch;

  constructor(private readonly opts: ManagedAgentsOptions) {
    this.base = opts.baseUrl.replace(/\/+$/, "");
    // The admin's base_url as configured; a redirect to another origin is the runtime's choice and is not followed.
    this.fetch = opts.fetch ?? (fetchWithinOrigin as typeof fetch);
  }

  private headers(extra: Record<string, string> = {}) {
    return {
      "x-api-key": this.opts.apiKey,
      "anthropic-version": "2023-06-01",
      "anthropic-beta": BETA,
      "content-type": "application/json",
      ...extra,
    };
  }

  private async call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await this.fetch(`${this.base}${path}`, {
        method,
        headers: this.headers(),
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
      });
    } catch (err) {
      throw new RuntimeError(`runtime at ${this.base} is unreachable: ${(err as Error).message}`);
    }
    if (crossOriginRedirect(res, `${this.base}${path}`))
      throw new RuntimeError(`runtime request ${method} ${path} to ${this.base}: ${REDIRECT_REFUSED}`, 502);
    const text = await res.text();
    if (!res.ok)
      throw new RuntimeError(`runtime request ${method} ${path} failed with status ${res.status}: ${text.slice(0, 300)}`, res.status);
    if (!text) return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new RuntimeError(`runtime answered ${method} ${path} with a body that is not JSON`);
    }
  }

  async check() {
    await this.call("GET", "/v1/agents?limit=1");
  }

  async ensureAgent(agent: AgentDefinition, existing: RemoteAgentRef | null) {
    const signature = agentSignature(agent);
    if (existing && existing.signature === signature) return { ...existing, reused: true };
    const created = await this.call<{ id?: string }>("POST", "/v1/agents", {
      name: agent.name,
      description: agent.description || undefined,
      model: { id: agent.model },
      system: agent.systemPrompt,
      tools: [toolset(agent.approvalRequiredTools)],
      mcp_servers: agent.mcpServers.map((s) => ({ type: "url", name: s.name, url: s.url })),
      metadata: {
        local_agent_id: agent.id,
        source: "lap",
        lap_skill_ids: idsMeta(agent.skillIds),
        lap_rule_ids: idsMeta(agent.ruleIds),
        lap_vault_keys: idsMeta(agent.vaultKeys),
      },
    });
    if (typeof created.id !== "string") throw new RuntimeError("runtime created an agent without an id");
    const env = await this.call<{ id?: string }>("POST", "/v1/environments", {
      name: `${agent.name} environment`,
      config: environmentConfig(agent),
    });
    return { remoteAgentId: created.id, remoteEnvironmentId: typeof env.id === "string" ? env.id : null, signature, reused: false };
  }

  async startSession(input: { ref: RemoteAgentRef; agent: AgentDefinition; localSessionId: string; title: string }) {
    const session = await this.call<{ id?: string }>("POST", "/v1/sessions", {
      agent: input.ref.remoteAgentId,
      environment_id: input.ref.remoteEnvironmentId ?? undefined,
      title: input.title || `${input.agent.name} session`,
      metadata: { local_agent_id: input.agent.id, local_session_id: input.localSessionId },
      resources: repositoryResources(input.agent),
    });
    if (typeof session.id !== "string") throw new RuntimeError("runtime created a session without an id");
    return session.id;
  }

  async sendMessage(remoteSessionId: string, content: ContentPart[]) {
    const confirmation = confirmationIn(content);
    const event = confirmation ? toolConfirmationEvent(confirmation) : { type: "user.message", content };
    const res = await this.call<{ data?: Array<{ id?: unknown; type?: unknown }> }>(
      "POST",
      `/v1/sessions/${encodeURIComponent(remoteSessionId)}/events`,
      { events: [event] },
    );
    const recorded = Array.isArray(res.data) ? res.data.find((e) => e?.type === event.type) : undefined;
    return { eventId: typeof recorded?.id === "string" ? recorded.id : null };
  }

  async listEvents(remoteSessionId: string): Promise<RuntimeEvent[]> {
    const res = await this.call<{ data?: unknown } | unknown[]>("GET", `/v1/sessions/${encodeURIComponent(remoteSessionId)}/events`);
    const raw = Array.isArray(res) ? res : Array.isArray(res.data) ? res.data : null;
    if (!raw) throw new RuntimeError("runtime answered the event list without a data array");
    return raw.flatMap((e) => {
      const normalized = e && typeof e === "object" ? normalizeRuntimeEvent(e as Record<string, unknown>) : null;
      return normalized ? [normalized] : [];
    });
  }

  async interrupt(remoteSessionId: string) {
    await this.call("POST", `/v1/sessions/${encodeURIComponent(remoteSessionId)}/events`, { events: [{ type: "user.interrupt" }] });
  }

  async sessionState(remoteSessionId: string): Promise<RemoteSessionState> {
    try {
      const s = await this.call<{ status?: string }>("GET", `/v1/sessions/${encodeURIComponent(remoteSessionId)}`);
      if (s.status === "running" || s.status === "rescheduling") return "running";
      if (s.status === "terminated") return "terminated";
      return "idle";
    } catch (err) {
      if (err instanceof RuntimeError && err.status === 404) return "missing";
      throw err;
    }
  }

  async stopSession(remoteSessionId: string) {
    await this.call("DELETE", `/v1/sessions/${encodeURIComponent(remoteSessionId)}`).catch(() => {});
  }

  async *streamEvents(remoteSessionId: string, opts: StreamOptions): AsyncIterable<RuntimeEvent> {
    let res: Response;
    try {
      res = await this.fetch(`${this.base}/v1/sessions/${encodeURIComponent(remoteSessionId)}/events/stream`, {
        headers: this.headers({ accept: "text/event-stream", ...(opts.afterEventId ? { "last-event-id": opts.afterEventId } : {}) }),
        signal: opts.signal,
      });
    } catch (err) {
      if (opts.signal.aborted) return;
      throw new RuntimeError(`runtime stream is unreachable: ${(err as Error).message}`);
    }
    if (crossOriginRedirect(res, this.base)) throw new RuntimeError(`runtime stream at ${this.base}: ${REDIRECT_REFUSED}`, 502);
    if (!res.ok || !res.body)
      throw new RuntimeError(`runtime stream failed with status ${res.status}: ${(await res.text()).slice(0, 300)}`, res.status);
    opts.onOpen?.();
    try {
      for await (const frame of parseSse(res.body, opts.signal)) {
        let raw: Record<string, unknown>;
        try {
          raw = JSON.parse(frame.data);
        } catch {
          continue;
        }
        if (typeof raw.type !== "string" && frame.event) raw.type = frame.event;
        if (typeof raw.id !== "string" && frame.id) raw.id = frame.id;
        const normalized = normalizeRuntimeEvent(raw);
        if (normalized) yield normalized;
      }
    } catch (err) {
      if (opts.signal.aborted) return;
      throw new RuntimeError(`runtime stream broke: ${(err as Error).message}`);
    }
  }
}
