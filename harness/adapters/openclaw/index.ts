// OpenClaw as a LAP harness: OpenClaw's own Gateway (gateway.ts) plus its ACP bridge `openclaw acp`
// (Agent Client Protocol, JSON-RPC over stdio), both in the sandbox, one of each per session.
// initialize → session/new (or session/load after a restart) → session/prompt per message; the
// bridge streams session/update notifications (translate.ts), asks before shell commands with
// session/request_permission when the agent has `bash` approval-required, and stops a turn on
// session/cancel. The Gateway keeps the conversation under one session key in its state dir in the
// harness home, so a new bridge (or a new Gateway) carries on from the transcript.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Attachment, saveToWorkspace } from "../attachments.ts";
import { harnessBinary, openclawNode } from "../binaries.ts";
import { CliTurns } from "../cli-turns.ts";
import { JsonRpc, type Notification, RpcError, type ServerRequest } from "../codex/rpc.ts";
import { type CliProcess, spawnCli } from "../process.ts";
import {
  events as ev,
  type HarnessAdapter,
  type HarnessConfig,
  type HarnessEvent,
  type ToolConfirmation,
  type TurnResult,
} from "../types.ts";
import { startWarmUpStub, type WarmUpStub } from "../warm-up-stub.ts";
import { APPROVABLE_TOOLS } from "./config.ts";
import { type Gateway, killGroup, openclawEnv, type RunFailure, startGateway } from "./gateway.ts";
import { OpenclawTranslator, type SessionUpdate, toolName } from "./translate.ts";
import { warmUpPrompt } from "./warm-up.ts";

/** The Gateway session all of a LAP session's turns go to (agent `main`, OpenClaw's default agent). */
export const SESSION_KEY = "agent:main:lap";

type PermissionRequest = { requestId: number | string; toolCallId: string; allow: string; reject: string };

export class OpenclawAdapter implements HarnessAdapter {
  readonly name = "openclaw" as const;
  conversationId: string | undefined;
  private readonly turns: CliTurns;
  private readonly rpc = new JsonRpc(
    (notification) => this.onNotification(notification),
    (request) => this.onServerRequest(request),
  );
  private readonly stateDir: string;
  private gateway: Gateway | undefined;
  private ready: Promise<void> | undefined;
  private sessionId: string | undefined;
  private translator = new OpenclawTranslator();
  /** The ACP prompt in flight: it outlives a LAP turn that ended requires_action. */
  private prompt: Promise<void> | undefined;
  private readonly asks: boolean;
  private pending: PermissionRequest[] = [];
  /** The warm-up's stub model (../warm-up-stub.ts) while a pre-started Gateway warms up. */
  private warmStub: WarmUpStub | undefined;
  private warmedUp = false;
  /** How many model calls the warm-up's stub answered (0: the warm-up never reached the model path). */
  warmUpModelCalls: number | undefined;

  constructor(private readonly config: HarnessConfig) {
    this.conversationId = config.resumeId;
    this.turns = new CliTurns("openclaw-acp", config);
    this.stateDir = join(config.home, ".openclaw");
    this.asks = (config.approvalRequiredTools ?? []).some((tool) => APPROVABLE_TOOLS.has(tool));
  }

  async start(): Promise<void> {
    await this.ensureSession();
  }

  /** The ACP bridge's pid (the process a LAP turn talks to). */
  pid(): number | undefined {
    return this.turns.cli?.proc.pid;
  }

  private ensureSession(): Promise<void> {
    if (this.turns.cli && this.ready) return this.ready;
    const ready = this.openSession();
    this.ready = ready;
    ready.catch(() => {
      if (this.ready === ready) this.ready = undefined;
    });
    return ready;
  }

  private async openSession(): Promise<void> {
    mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
    // Pre-started: the warm-up's model answers from inside the sandbox (warm-up.ts).
    if (this.config.prestart && !this.warmedUp && !this.gateway) this.warmStub ??= startWarmUpStub();
    this.gateway ??= await startGateway(this.config, this.stateDir, (cli, code) => this.onGatewayExit(cli, code), this.warmStub?.url);
    const entry = this.config.binary ?? harnessBinary("openclaw");
    const cli = spawnCli({
      cmd: [openclawNode(entry), entry, "acp", "--url", this.gateway.url, "--token-file", this.gateway.tokenFile, "--session", SESSION_KEY],
      argv0: "openclaw-acp",
      cwd: this.config.workspace,
      env: openclawEnv(this.config, this.stateDir, ""),
      onLine: (line) => this.rpc.onLine(line),
    });
    this.turns.cli = cli;
    this.rpc.attach(cli);
    void cli.exited.then((code) => this.onBridgeExit(cli, code));
    await this.rpc.request("initialize", {
      protocolVersion: 1,
      clientCapabilities: { fs: { readTextFile: false, writeTextFile: false }, terminal: false },
    });
    // The bridge rejects per-session MCP servers: the agent's are in the Gateway's config (config.ts).
    const opened = await this.rpc.request<{ sessionId: string }>("session/new", { cwd: this.config.workspace, mcpServers: [] });
    this.sessionId = opened.sessionId;
    this.conversationId = SESSION_KEY;
  }

  /** Warm pre-start: the Gateway's first-run path run once on a throwaway session (warm-up.ts). */
  async warmUp(): Promise<void> {
    await this.ensureSession();
    try {
      if (this.warmStub) await warmUpPrompt(this.rpc, this.config.workspace, this.config.model);
    } finally {
      this.warmedUp = true;
      this.warmUpModelCalls = this.warmStub?.answered();
      this.warmStub?.stop();
      this.warmStub = undefined;
    }
    if (this.warmUpModelCalls === 0) console.error("openclaw: the warm-up prompt never reached its stub model; the first turn starts cold");
  }

  private onBridgeExit(cli: CliProcess, code: number): void {
    if (this.turns.cli === cli) {
      this.ready = undefined;
      this.sessionId = undefined;
      this.pending = [];
      this.rpc.closed(new RpcError("openclaw", `acp bridge exited (code ${code})`));
      // The Gateway lives on with the conversation; the next turn starts a new bridge on the same session
      // key. (Restarting the Gateway too is worse: OpenClaw's restart recovery, always on, resumes the
      // interrupted turn by itself; harness/adapters/README.md#openclaw.)
    }
    this.turns.exited(cli, code);
  }

  /** The Gateway died: the bridge is of no use without it (its exit ends a running turn as a crash). */
  private onGatewayExit(cli: CliProcess, code: number): void {
    if (this.gateway?.cli !== cli) return;
    this.gateway = undefined;
    const bridge = this.turns.cli;
    if (!bridge) return;
    const turn = this.turns.turn;
    if (turn && !turn.finished && !this.turns.interrupted)
      turn.emit(
        ev.error(
          "harness_crashed",
          `openclaw gateway exited mid-turn (code ${code})${cli.stderrTail() ? `: ${cli.stderrTail().slice(-500)}` : ""}`,
        ),
      );
    bridge.kill("SIGKILL");
  }

  private onNotification(notification: Notification): void {
    if (notification.method !== "session/update") return;
    if (notification.params.sessionId !== this.sessionId) return;
    const update = notification.params.update as SessionUpdate | undefined;
    if (!update) return;
    for (const event of this.translator.translate(update)) this.deliver(event);
  }

  private deliver(event: HarnessEvent): void {
    const turn = this.turns.turn;
    if (turn && !turn.finished) turn.emit(event);
  }

  /**
   * OpenClaw asks before a shell command (its exec approvals, relayed by the bridge). Only agents with
   * `bash` approval-required run OpenClaw in "ask" mode; anything else asked is allowed at once.
   */
  private onServerRequest(request: ServerRequest): boolean {
    if (request.method !== "session/request_permission") return false;
    const params = request.params as { toolCall?: SessionUpdate; options?: { optionId: string; kind: string }[] };
    const call = params.toolCall ?? {};
    const options = params.options ?? [];
    const allow = options.find((o) => o.kind === "allow_once")?.optionId ?? options.find((o) => o.kind.startsWith("allow"))?.optionId;
    const reject = options.find((o) => o.kind === "reject_once")?.optionId ?? options.find((o) => o.kind.startsWith("reject"))?.optionId;
    const listed = this.asks && APPROVABLE_TOOLS.has(toolName(call)) && call.toolCallId && allow && reject;
    if (!listed) {
      for (const event of this.translator.permission(call, "allow")) this.deliver(event);
      this.rpc.respond(request.id, allow ? { outcome: { outcome: "selected", optionId: allow } } : { outcome: { outcome: "cancelled" } });
      return true;
    }
    this.pending.push({ requestId: request.id, toolCallId: call.toolCallId!, allow: allow!, reject: reject! });
    for (const event of this.translator.permission(call, "ask")) this.deliver(event);
    this.deliver(ev.requiresAction(this.pending.map((p) => p.toolCallId)));
    return true;
  }

  /** Runs one ACP prompt; its end ends whichever LAP turn is running then. */
  private runPrompt(prompt: unknown[]): void {
    const sessionId = this.sessionId;
    const failure = this.gateway?.failure;
    failure?.reset();
    const done = this.rpc
      .request<{ stopReason?: string }>("session/prompt", { sessionId, prompt })
      .then((result) => {
        if (result?.stopReason === "cancelled") this.deliver(ev.idle("interrupted"));
        else if (failure?.message) this.deliver(this.failed(failure));
        else this.deliver(ev.idle("end_turn"));
      })
      .catch((error: Error) => {
        // A bridge that died has already ended the turn as a crash (onBridgeExit); then this is a no-op.
        if (!this.turns.cli) return;
        const message = error.message;
        this.deliver(
          /model|HTTP \d{3}|40[0-9]/i.test(message) ? ev.error("model_error", message) : ev.error("harness_failed", `openclaw: ${message}`),
        );
      })
      .finally(() => {
        if (this.prompt === done) this.prompt = undefined;
      });
    this.prompt = done;
  }

  /** A run the Gateway failed (its console said why): a model the gateway rejected is `model_error`. */
  private failed(failure: RunFailure): HarnessEvent {
    const message = failure.message ?? "run failed";
    if (failure.status)
      return ev.error("model_error", `model "${this.config.model}" was rejected by the gateway (HTTP ${failure.status}): ${message}`);
    return ev.error("harness_failed", `openclaw: ${message}`);
  }

  /** Refuses every waiting call and lets OpenClaw finish the prompt they belong to (its events go nowhere). */
  private async refusePending(): Promise<string[]> {
    const waiting = this.pending.splice(0);
    for (const request of waiting) this.rpc.respond(request.requestId, { outcome: { outcome: "selected", optionId: request.reject } });
    if (this.prompt && this.sessionId) this.rpc.notify("session/cancel", { sessionId: this.sessionId });
    await this.prompt;
    return waiting.map((p) => p.toolCallId);
  }

  async send(text: string, onEvent?: (event: HarnessEvent) => void, attachments: Attachment[] = []): Promise<TurnResult> {
    const images = attachments.filter((a) => a.kind === "image");
    const refused = this.pending.length ? await this.refusePending() : [];
    const { turn, prompt } = this.turns.begin(
      saveToWorkspace(
        this.config.workspace,
        text,
        attachments.filter((a) => a.kind !== "image"),
      ),
      onEvent,
    );
    for (const id of refused)
      turn.emit(ev.toolResult(id, "Not run: the user sent a new message instead of deciding on this tool call.", true));
    this.translator = new OpenclawTranslator(this.asks ? APPROVABLE_TOOLS : undefined);
    try {
      await this.ensureSession();
      this.runPrompt([{ type: "text", text: prompt }, ...images.map((a) => ({ type: "image", mimeType: a.mediaType, data: a.data }))]);
    } catch (error) {
      this.turns.fail("harness_start_failed", `openclaw could not start the turn: ${(error as Error).message}`);
    }
    return this.turns.result(turn);
  }

  async confirm(confirmation: ToolConfirmation, onEvent?: (event: HarnessEvent) => void): Promise<TurnResult> {
    const turn = this.turns.open(onEvent);
    const index = this.pending.findIndex((p) => p.toolCallId === confirmation.tool_use_id);
    if (index < 0 || !this.turns.cli) {
      this.turns.fail("harness_failed", `no tool call ${confirmation.tool_use_id} is waiting for a decision`);
      return this.turns.result(turn);
    }
    const [waiting] = this.pending.splice(index, 1) as [PermissionRequest];
    // The same ACP prompt carries on; what OpenClaw does next streams into this turn.
    const optionId = confirmation.result === "allow" ? waiting.allow : waiting.reject;
    this.rpc.respond(waiting.requestId, { outcome: { outcome: "selected", optionId } });
    if (this.pending.length) turn.emit(ev.requiresAction(this.pending.map((p) => p.toolCallId)));
    return this.turns.result(turn);
  }

  async interrupt(): Promise<void> {
    if (this.pending.length && (!this.turns.turn || this.turns.turn.finished)) {
      await this.refusePending();
      return;
    }
    await this.turns.interrupt(() => {
      for (const request of this.pending.splice(0)) this.rpc.respond(request.requestId, { outcome: { outcome: "cancelled" } });
      if (this.sessionId) this.rpc.notify("session/cancel", { sessionId: this.sessionId });
    });
  }

  async stop(): Promise<void> {
    this.warmStub?.stop();
    await this.turns.stop();
    const gateway = this.gateway;
    this.gateway = undefined;
    if (!gateway) return;
    killGroup(gateway.cli, "SIGTERM");
    const timer = setTimeout(() => killGroup(gateway.cli, "SIGKILL"), 5_000);
    await gateway.cli.proc.exited;
    clearTimeout(timer);
  }
}
