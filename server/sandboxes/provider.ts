/**
 * The one interface every sandbox provider implements: `local` (bubblewrap), `process` (no isolation,
 * only when explicitly chosen) and `kubernetes` (agent-sandbox v1beta1). The warm pool, recovery and
 * secrets live above this interface and never look at which provider is underneath.
 *
 * Lifecycle: create → waitReady → bind (late: a warm sandbox learns its session only when claimed)
 * → connect (reach the supervisor's Managed Agents API) → stop (workspace kept) / destroy (all gone).
 */
import type { HarnessContext } from "../../harness/protocol";

export type SandboxProviderName = "local" | "process" | "kubernetes";

export type SandboxState = "provisioning" | "ready" | "stopped" | "failed" | "terminating";

export interface SandboxLimits {
  /** CPU seconds before the kernel stops the sandbox (local: RLIMIT_CPU; k8s: cpu limit in millicores is separate). */
  cpuSeconds?: number;
  memoryMb?: number;
  maxProcesses?: number;
}

export interface SandboxSpec {
  /** Which harness the supervisor starts (built-in, opencode, claude-code, codex, ...). */
  harness: string;
  /** Container image (kubernetes) or ignored (local). */
  image?: string;
  /** Environment for the supervisor and harness: CONTAINER_ENV_* passthrough and vault stubs, never real keys. */
  env: Record<string, string>;
  /** Workspace identity: the same id gets the same workspace back after a stop or a sandbox death. */
  workspaceId: string;
  limits?: SandboxLimits;
  /** Hosts the egress proxy lets this sandbox reach; empty means LAP only. */
  egressAllowHosts?: string[];
  /** Free-form labels the provider stores with the sandbox (agent id, pool membership, spec hash). */
  labels?: Record<string, string>;
  /**
   * A name unique to this acquisition (derived from LAP's sandbox row). Makes `create` idempotent where
   * the platform names objects (kubernetes): a retry, or a second replica, gets the same sandbox back.
   */
  name?: string;
}

export interface SandboxHandle {
  id: string;
  provider: SandboxProviderName;
  state: SandboxState;
  workspaceId: string;
  labels: Record<string, string>;
  createdAt: Date;
  /** Provider details for the dashboard: pid, pod name, node, phase, ... */
  info: Record<string, string | number | boolean | null>;
  /** Why the sandbox failed (image pull, crash loop, unschedulable, bwrap missing, ...). */
  error?: string;
}

/** How a sandbox's memory limit reads in errors: its size and the setting it comes from (docs/sandboxes.md). */
export const memoryLimitText = (memoryMb: number | undefined) => `${memoryMb ?? "?"} MB, SANDBOX_MEMORY_MB`;

/** How LAP reaches the supervisor inside a sandbox: a fetch bound to its Managed Agents API. */
export interface SupervisorConnection {
  baseUrl: string;
  fetch: typeof fetch;
}

/** Identity handed to a sandbox after it is claimed (never baked into a warm sandbox). */
export interface SandboxBinding {
  sessionId: string;
  agentId: string;
  /** Session-scoped gateway key; expires with the session. */
  gatewayKey: string;
  gatewayBaseUrl: string;
  model: string;
  systemPrompt?: string;
  /** Tools whose calls wait for a person's decision (the built-in and Claude Code harnesses end the turn with requires_action). */
  approvalRequiredTools?: string[];
  /** Extra env for the harness after binding (vault stubs). */
  env?: Record<string, string>;
  /**
   * Names of the MCP servers the harness reaches through LAP (`<LAP>/mcp/<name>`, with the session
   * key). Names only: the supervisor builds the URLs from the gateway URL as seen inside the sandbox.
   */
  mcpServers?: string[];
  /** The agent's rules and skills at their current versions (docs/skills.md); the supervisor hands them to the harness. */
  context?: HarnessContext;
}

/**
 * What a warm sandbox is set up for before any session (docs/sandboxes.md "Warm pool"): a binding
 * without its session and key. `holdSeconds`: how long the harness's MCP start may wait for the bind.
 */
/**
 * What the supervisor did at the bind with a harness pre-started before it (harness/supervisor/supervisor.ts
 * `bind`): kept it, or restarted it (set up for something else, or its start failed). Absent: none was.
 */
export type SandboxBound = { harnessKept?: boolean };

/** The supervisor's answer to `POST /lap/bind` (`kept`), as a SandboxBound. */
export function boundFrom(answer: string): SandboxBound {
  try {
    const kept = (JSON.parse(answer) as { kept?: unknown }).kept;
    return typeof kept === "boolean" ? { harnessKept: kept } : {};
  } catch {
    return {};
  }
}

export type SandboxPreparation = Omit<SandboxBinding, "sessionId" | "gatewayKey" | "gatewayBaseUrl" | "env"> & { holdSeconds?: number };

export class SandboxError extends Error {
  constructor(
    readonly reason: "unavailable" | "timeout" | "image_pull" | "crash_loop" | "unschedulable" | "not_found" | "failed",
    message: string,
  ) {
    super(message);
  }
}

/** How many warm sandboxes of a harness (image) the platform should keep ready. */
export interface ExternalWarmTarget {
  harness: string;
  image?: string;
  size: number;
}

/**
 * A platform that keeps its own warm pool (agent-sandbox's SandboxWarmPool): LAP only sizes it, and
 * `create` is served from it; the generic WarmPool then never pre-creates sandboxes.
 */
export interface ExternalWarmPool {
  setTargets(targets: ExternalWarmTarget[]): Promise<unknown>;
}

export interface SandboxProvider {
  readonly name: SandboxProviderName;
  /**
   * The machine this provider's sandboxes live on (host providers: local, process). Rows it writes carry it,
   * and warm claims, pool counts and restart recovery touch only rows of this host. Absent: the sandboxes are
   * reachable from every replica (kubernetes), so its rows are shared.
   */
  readonly host?: string;
  /** Set when the platform owns the warm pool (kubernetes); absent for host providers. */
  readonly externalWarmPool?: ExternalWarmPool;
  /** Starts provisioning and returns at once (state `provisioning`). */
  create(spec: SandboxSpec): Promise<SandboxHandle>;
  /** Resolves when the supervisor answers; rejects with SandboxError (reason says why) on failure or timeout. */
  waitReady(id: string, opts?: { timeoutMs?: number; signal?: AbortSignal }): Promise<SandboxHandle>;
  /** Sends the session identity to the supervisor (late binding). */
  bind(id: string, binding: SandboxBinding): Promise<SandboxBound>;
  /**
   * Starts the harness for the agent a warm sandbox expects, before any session (its CLI initialized,
   * holding a placeholder key: docs/security.md "Before bind"); resolves when it is up. Only providers
   * whose supervisor holds the session key in its gateway proxy have it (local).
   */
  prepare?(id: string, preparation: SandboxPreparation, gatewayBaseUrl: string): Promise<{ harness: string }>;
  connect(id: string): Promise<SupervisorConnection>;
  /**
   * A request to the workspace API of the sandbox's supervisor (`/lap/files…`, harness/supervisor/files.ts),
   * for providers whose workspace LAP cannot read on its own disk (kubernetes; docs/files.md). Only after the bind.
   */
  workspaceRequest?(id: string, pathAndQuery: string, init?: RequestInit): Promise<Response>;
  /** Stops the sandbox but keeps its workspace. */
  stop(id: string): Promise<void>;
  /** Removes the sandbox and what it owned (the workspace only when `dropWorkspace`). */
  destroy(id: string, opts?: { dropWorkspace?: boolean }): Promise<void>;
  get(id: string): Promise<SandboxHandle | null>;
  /** Everything this provider runs, for reconciling after a LAP restart. */
  list(): Promise<SandboxHandle[]>;
}
