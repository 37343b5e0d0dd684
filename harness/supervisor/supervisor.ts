/**
 * The supervisor's state: which session it is bound to (late binding), the harness process it runs,
 * and the session's event log. HTTP lives in routes.ts; process start-up in main.ts.
 */
import { timingSafeEqual, createHash } from "node:crypto";
import { type HarnessCommand, mcpEndpoints, type NormalizedEvent, type ContentPart, type ToolConfirmation } from "../protocol";
import { writeCaBundle } from "./ca-bundle";
import { EventLog, isConversation } from "./event-log";
import { HarnessProcess } from "./harness-process";
import type { BindBody } from "./binding";

export interface SupervisorOptions {
  harnessName: string;
  harnessEntry: string;
  bunPath: string;
  workspace: string;
  /** Environment for the harness process (already stripped of the supervisor's own settings). */
  harnessEnv: Record<string, string>;
  /**
   * The token every call but /health must carry. null: first-bind mode (a warm pod has no
   * per-session token file): the first /lap/bind is accepted without one and sets it.
   */
  token: string | null;
  defaultMaxSteps: number;
  log(message: string): void;
}

const digest = (s: string) => createHash("sha256").update(s).digest();

export class Supervisor {
  readonly log = new EventLog();
  binding: BindBody | null = null;
  /** What the binding added to the harness environment. */
  private boundEnv: Record<string, string> = {};
  harness: HarnessProcess | null = null;
  private priorHistory: NormalizedEvent[] = [];
  private readonly startedAt = Date.now();

  constructor(private opts: SupervisorOptions) {}

  checkToken(candidate: string | null | undefined): boolean {
    const token = this.opts.token;
    return !!candidate && token !== null && timingSafeEqual(digest(candidate), digest(token));
  }

  /** True until a first-bind supervisor has been given its token. */
  get awaitingToken(): boolean {
    return this.opts.token === null;
  }

  /** First-bind mode: the token LAP chose, from the first /lap/bind body; fixed from then on. */
  adoptToken(token: string) {
    if (this.opts.token !== null) throw new Error("the supervisor token is already set");
    this.opts.token = token;
  }

  /** Starts the harness before any session is known, so a claimed warm sandbox answers at once. */
  startHarness() {
    this.harness = new HarnessProcess({
      entry: this.opts.harnessEntry,
      bunPath: this.opts.bunPath,
      env: this.opts.harnessEnv,
      cwd: this.opts.workspace,
      onEvent: (e) => this.log.append(e),
      bootCommands: () => this.bootCommands(),
      log: this.opts.log,
    });
    this.harness.start();
  }

  private configureCommand(): HarnessCommand | null {
    const b = this.binding;
    if (!b) return null;
    return {
      type: "configure",
      config: {
        sessionId: b.sessionId,
        agentId: b.agentId,
        model: b.model,
        gatewayBaseUrl: b.gatewayBaseUrl,
        gatewayKey: b.gatewayKey,
        systemPrompt: b.systemPrompt,
        workspace: this.opts.workspace,
        maxSteps: b.maxSteps ?? this.opts.defaultMaxSteps,
        mcp: mcpEndpoints(b.gatewayBaseUrl, b.mcpServers ?? []),
        approvalRequiredTools: b.approvalRequiredTools,
        env: Object.keys(this.boundEnv).length ? this.boundEnv : undefined,
        context: b.context,
      },
    };
  }

  /** What a (re)started harness process is told before anything else. */
  private bootCommands(): HarnessCommand[] {
    const configure = this.configureCommand();
    if (!configure) return [];
    const history = [...this.priorHistory, ...this.log.conversation()];
    return history.length ? [configure, { type: "history", events: history }] : [configure];
  }

  bind(binding: BindBody): { ok: true } | { ok: false; error: string } {
    if (this.binding) {
      return this.binding.sessionId === binding.sessionId
        ? { ok: true }
        : { ok: false, error: `sandbox is already bound to session ${this.binding.sessionId}` };
    }
    this.binding = binding;
    // Binding env (MCP URLs, vault stubs, a pod's egress proxy and CA bundle) reaches the harness
    // process on its next start; the built-in agent, already running in a warm pod, gets it in `configure`.
    this.boundEnv = { ...binding.env };
    if (binding.egressCaPem) Object.assign(this.boundEnv, writeCaBundle(binding.egressCaPem));
    // Where the agent's MCP servers are, for programs the agent runs (URLs only; the key is its own).
    const mcp = mcpEndpoints(binding.gatewayBaseUrl, binding.mcpServers ?? []);
    if (mcp) Object.assign(this.boundEnv, { LAP_MCP_URL: mcp.url, LAP_MCP_SERVERS: JSON.stringify(mcp.servers) });
    Object.assign(this.opts.harnessEnv, this.boundEnv);
    const configure = this.configureCommand()!;
    this.harness?.send(configure);
    this.log.append({ type: "session.bound", session_id: binding.sessionId, harness: this.opts.harnessName });
    return { ok: true };
  }

  loadHistory(events: NormalizedEvent[]) {
    this.priorHistory = events.filter(isConversation);
    this.harness?.send({ type: "history", events: [...this.priorHistory, ...this.log.conversation()] });
  }

  sendTurn(content: ContentPart[]): { ok: true } | { ok: false; error: string } {
    return this.startTurn({ type: "user.message", content }, (turnId) => ({ type: "turn", turnId, content }));
  }

  /** A decision on a tool call the agent asked about: a turn of its own (Managed Agents `user.tool_confirmation`). */
  sendConfirmation(confirmation: ToolConfirmation): { ok: true } | { ok: false; error: string } {
    return this.startTurn({ type: "user.tool_confirmation", ...confirmation }, (turnId) => ({
      type: "tool_confirmation",
      turnId,
      confirmation,
    }));
  }

  private startTurn(userEvent: NormalizedEvent, command: (turnId: string) => HarnessCommand): { ok: true } | { ok: false; error: string } {
    if (!this.harness || this.harness.state === "failed") return { ok: false, error: "the harness is not running" };
    if (this.harness.busy) return { ok: false, error: "a turn is already running; interrupt it or wait for session.status_idle" };
    this.log.append(userEvent);
    if (!this.harness.send(command(String(this.log.lastSeq)))) {
      this.log.append({ type: "session.error", error: { message: "the harness is restarting; send the message again" } });
    }
    return { ok: true };
  }

  interrupt() {
    this.harness?.send({ type: "interrupt" });
  }

  health() {
    return {
      status: this.harness?.state === "failed" ? "degraded" : "ok",
      bound: !!this.binding,
      session_id: this.binding?.sessionId ?? null,
      agent_id: this.binding?.agentId ?? null,
      harness: {
        name: this.opts.harnessName,
        state: this.harness?.state ?? "stopped",
        pid: this.harness?.pid ?? null,
        restarts: this.harness?.restarts ?? 0,
      },
      last_seq: this.log.lastSeq,
      uptime_ms: Date.now() - this.startedAt,
    };
  }
}
