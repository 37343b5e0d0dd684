/**
 * The supervisor's state: which session it is bound to (late binding), the harness process it runs,
 * and the session's event log. HTTP lives in routes.ts; process start-up in main.ts.
 */
import { timingSafeEqual, createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type HarnessCommand, mcpEndpoints, type NormalizedEvent, type ContentPart, type ToolConfirmation } from "../protocol";
import { writeCaBundle } from "./ca-bundle";
import { type BindBody, bindingMatches, type PrepareBody } from "./binding";
import { EventLog, isConversation } from "./event-log";
import type { GatewayProxy } from "./gateway-proxy";
import { HarnessProcess } from "./harness-process";

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
  /**
   * The gateway proxy holding the session key (./gateway-proxy.ts): when set, harnesses get its
   * placeholder instead of the key, and may be pre-started (`prepare`). Absent (a pod reaching LAP over
   * the network): the harness gets the session key at bind, as before.
   */
  proxy?: GatewayProxy | null;
  /**
   * A pod (no bridge to LAP): builds the gateway proxy, toward LAP's origin, when the sandbox is prepared,
   * so its harness too can start before the bind (docs/kubernetes.md "Warm pool").
   */
  proxyFor?: (gatewayBaseUrl: string) => GatewayProxy;
}

/** How long `prepare` waits for the harness to say its CLI is up. */
const PREPARE_WAIT_MS = 120_000;

const digest = (s: string) => createHash("sha256").update(s).digest();

export class Supervisor {
  readonly log = new EventLog();
  binding: BindBody | null = null;
  /** What the binding added to the harness environment. */
  private boundEnv: Record<string, string> = {};
  harness: HarnessProcess | null = null;
  private priorHistory: NormalizedEvent[] = [];
  private readonly startedAt = Date.now();
  /** What a warm pre-start set the harness up for (./binding.ts); null: not prepared. */
  prepared: PrepareBody | null = null;
  /** Where the pre-start is: the CLI starting, up, failed; `kept`/`restarted`: what the bind did with it. */
  preparedState: "none" | "starting" | "ready" | "failed" | "kept" | "restarted" = "none";
  private onPrepared: Array<() => void> = [];
  /** The pre-started harness said it connects its MCP servers at the bind (harness/protocol.ts `start`). */
  private connectsMcpAtBind = false;

  constructor(private opts: SupervisorOptions) {}

  /** The gateway proxy: the bridge's, or the one a pod made when it was prepared. */
  get gatewayProxy(): GatewayProxy | null {
    return this.opts.proxy ?? null;
  }

  /** The sandbox's workspace directory (the files API serves only what is below it: ./files.ts). */
  get workspace(): string {
    return this.opts.workspace;
  }

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
      onEvent: (e) => this.onHarnessEvent(e),
      bootCommands: () => this.bootCommands(),
      log: this.opts.log,
    });
    this.harness.start();
  }

  /** The harness's events go to the session's log, except its answer to `start` (no session's business). */
  private onHarnessEvent(e: NormalizedEvent) {
    if (e.type !== "harness.prepared") return void this.log.append(e);
    if (this.preparedState === "starting") this.preparedState = e.ok === true ? "ready" : "failed";
    this.connectsMcpAtBind = e.ok === true && e.connectsMcpAtBind === true;
    if (e.ok !== true) this.opts.log(`the pre-started harness did not start: ${String(e.error ?? "").slice(0, 300)}`);
    for (const done of this.onPrepared.splice(0)) done();
  }

  /** The gateway URL as the harness reaches it: through the gateway proxy when there is one. */
  private gatewayUrl(gatewayBaseUrl: string): string {
    return this.opts.proxy?.localBase(gatewayBaseUrl) ?? gatewayBaseUrl;
  }

  private configureCommand(): HarnessCommand | null {
    const b = this.binding ?? (this.prepared ? { ...this.prepared, sessionId: "unbound", gatewayKey: "" } : null);
    if (!b) return null;
    const proxy = this.opts.proxy;
    const gatewayBaseUrl = this.gatewayUrl(b.gatewayBaseUrl);
    return {
      type: "configure",
      config: {
        sessionId: b.sessionId,
        agentId: b.agentId,
        model: b.model,
        gatewayBaseUrl,
        // Behind the gateway proxy the harness never holds the key: the proxy swaps the placeholder.
        gatewayKey: proxy ? proxy.placeholder : b.gatewayKey,
        systemPrompt: b.systemPrompt,
        workspace: this.opts.workspace,
        maxSteps: b.maxSteps ?? this.opts.defaultMaxSteps,
        mcp: mcpEndpoints(gatewayBaseUrl, b.mcpServers ?? []),
        approvalRequiredTools: b.approvalRequiredTools,
        env: Object.keys(this.boundEnv).length ? this.boundEnv : undefined,
        context: b.context,
        ...(this.prepared?.holdSeconds ? { mcpStartTimeoutMs: this.prepared.holdSeconds * 1000 } : {}),
      },
    };
  }

  /** What a (re)started harness process is told before anything else. */
  private bootCommands(): HarnessCommand[] {
    const configure = this.configureCommand();
    if (!configure) return [];
    const history = [...this.priorHistory, ...this.log.conversation()];
    // Before the bind a (re)started prepared harness starts its CLI at once. Never after: a warm-up
    // may send a throwaway prompt, whose model call the proxy refuses only while unbound.
    const start: HarnessCommand[] = this.prepared && !this.binding ? [{ type: "start" }] : [];
    return history.length ? [configure, ...start, { type: "history", events: history }] : [configure, ...start];
  }

  /**
   * Warm pre-start: sets the harness up for the agent LAP expects and starts its CLI now, with the
   * proxy's placeholder key (nothing reaches LAP before the bind). Resolves once the harness says its
   * CLI is up (or failed: the bind then restarts it), or after PREPARE_WAIT_MS.
   */
  async prepare(p: PrepareBody): Promise<{ ok: true; state: string } | { ok: false; error: string }> {
    if (!this.opts.proxy && this.opts.proxyFor && !this.binding && !this.prepared) this.opts.proxy = this.opts.proxyFor(p.gatewayBaseUrl);
    if (!this.opts.proxy) return { ok: false, error: "this sandbox has no gateway proxy, so its harness cannot start before the bind" };
    if (this.binding) return { ok: false, error: `sandbox is already bound to session ${this.binding.sessionId}` };
    if (this.prepared) return { ok: false, error: "sandbox is already prepared" };
    this.prepared = p;
    this.preparedState = "starting";
    // A harness restarted before the bind finds the CLI's state where the first one left it.
    this.opts.harnessEnv.LAP_HARNESS_HOME ??= join(tmpdir(), "lap-harness-home", "unbound");
    const up = new Promise<void>((resolve) => {
      this.onPrepared.push(resolve);
      setTimeout(resolve, PREPARE_WAIT_MS).unref?.();
    });
    if (p.env || p.egressCaPem) {
      // A pod's egress settings: the harness process must start with them (the bind then keeps it only if they match).
      this.boundEnv = { ...p.env };
      if (p.egressCaPem) Object.assign(this.boundEnv, writeCaBundle(p.egressCaPem));
      Object.assign(this.opts.harnessEnv, this.boundEnv);
      this.harness?.replace();
    } else for (const cmd of this.bootCommands()) this.harness?.send(cmd);
    await up;
    return { ok: true, state: this.preparedState };
  }

  bind(binding: BindBody): { ok: true; kept?: boolean } | { ok: false; error: string } {
    if (this.binding) {
      return this.binding.sessionId === binding.sessionId
        ? { ok: true }
        : { ok: false, error: `sandbox is already bound to session ${this.binding.sessionId}` };
    }
    this.binding = binding;
    // A pre-started harness serves the session only if it was set up exactly so and its start went well
    // (an MCP start that gave up while held would leave the CLI without those tools, unless the harness
    // connects its MCP servers again at the bind: `bound` below).
    const proxy = this.opts.proxy;
    const abandoned = (proxy?.abandoned ?? 0) - (this.connectsMcpAtBind ? (proxy?.abandonedMcp ?? 0) : 0);
    const keep = !!this.prepared && this.preparedState !== "failed" && bindingMatches(this.prepared, binding) && abandoned === 0;
    if (this.prepared) this.preparedState = keep ? "kept" : "restarted";
    // Binding env (MCP URLs, vault stubs, a pod's egress proxy and CA bundle) reaches the harness
    // process on its next start; the built-in agent, already running in a warm pod, gets it in `configure`.
    this.boundEnv = { ...binding.env };
    if (binding.egressCaPem) Object.assign(this.boundEnv, writeCaBundle(binding.egressCaPem));
    // Where the agent's MCP servers are, for programs the agent runs (URLs only; the key is its own).
    const mcp = mcpEndpoints(this.gatewayUrl(binding.gatewayBaseUrl), binding.mcpServers ?? []);
    if (mcp) Object.assign(this.boundEnv, { LAP_MCP_URL: mcp.url, LAP_MCP_SERVERS: JSON.stringify(mcp.servers) });
    Object.assign(this.opts.harnessEnv, this.boundEnv);
    // From here on the placeholder stands for this session's key, and held requests go out.
    this.opts.proxy?.bind(binding.gatewayKey);
    if (this.prepared && !keep) this.harness?.replace();
    else {
      this.harness?.send(this.configureCommand()!);
      if (keep) this.harness?.send({ type: "bound" });
    }
    this.log.append({ type: "session.bound", session_id: binding.sessionId, harness: this.opts.harnessName });
    return { ok: true, ...(this.prepared ? { kept: keep } : {}) };
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
      prepared: this.preparedState,
      // What the gateway proxy refused before the bind, and held requests whose client gave up.
      gateway_proxy: this.opts.proxy
        ? {
            bound: this.opts.proxy.bound,
            refused_unbound: this.opts.proxy.refusedUnbound,
            held: this.opts.proxy.heldNow,
            abandoned: this.opts.proxy.abandoned,
            abandoned_mcp: this.opts.proxy.abandonedMcp,
          }
        : null,
      last_seq: this.log.lastSeq,
      uptime_ms: Date.now() - this.startedAt,
    };
  }
}
