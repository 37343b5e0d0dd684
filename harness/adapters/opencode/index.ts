// opencode as a LAP harness: `opencode serve` on loopback inside the sandbox (server.ts), one opencode
// session per LAP session (its SQLite store lives in the session's home, so a restarted server resumes
// the same session), configured with LAP's gateway as its only provider (config.ts). A turn is a
// `prompt_async`; its events come from opencode's bus (translate.ts) and end with `session.idle`.
// Tool approvals: waiting-calls.ts. A warm pre-start's throwaway prompt: warm-up.ts.
import { writeFileSync } from "node:fs";
import { type Attachment, dataUrl } from "../attachments.ts";
import { harnessBinary } from "../binaries.ts";
import { denialMessage } from "../claude-code/permissions.ts";
import { TurnRecorder } from "../process.ts";
import {
  events as ev,
  type HarnessAdapter,
  type HarnessConfig,
  type HarnessEvent,
  type ToolConfirmation,
  type TurnResult,
  withHistory,
} from "../types.ts";
import { instructionsFile, opencodeConfig, PROVIDER } from "./config.ts";
import { connectMcpServers } from "./mcp-connect.ts";
import { parsePermissionAsked, replyBody } from "./permissions.ts";
import { OpencodeServer } from "./server.ts";
import { opencodeEnv, prepareOpencodeHome } from "./start.ts";
import { type BusEvent, OpencodeTranslator } from "./translate.ts";
import { type PermissionReply, WaitingCalls } from "./waiting-calls.ts";
import { warmUpPrompt } from "./warm-up.ts";
import { startWarmUpStub, WARM_UP_PROVIDER, withWarmUpProvider } from "./warm-stub.ts";

export class OpencodeAdapter implements HarnessAdapter {
  readonly name = "opencode" as const;
  conversationId: string | undefined;
  private readonly server: OpencodeServer;
  private turn: TurnRecorder | undefined;
  private readonly translator: OpencodeTranslator;
  private historyPending: boolean;
  private readonly calls: WaitingCalls;
  /** The throwaway session a warm-up runs (warm-up.ts); its events are no turn's. */
  private warming: { id: string; ended: () => void } | undefined;
  /** The warm-up's stub model (warm-stub.ts) while a pre-started server warms up. */
  private warmStub: { url: string; stop(): void } | undefined;
  private warmedUp = false;
  /** A pre-start's MCP servers are off until the bind (mcp-connect.ts); this is their connect, which a turn waits for. */
  private mcpAtBind: Promise<unknown> | undefined;

  constructor(private readonly config: HarnessConfig) {
    this.conversationId = config.resumeId;
    this.historyPending = Boolean(config.history?.length) && !config.resumeId;
    this.server = new OpencodeServer({ onEvent: (event) => this.onBusEvent(event), onExit: (code, tail) => this.onExit(code, tail) });
    this.calls = new WaitingCalls(config.approvalRequiredTools ?? [], {
      reply: (requestId, body) => this.reply(requestId, body),
      turn: () => this.turn,
      conversationId: () => this.conversationId,
    });
    this.translator = new OpencodeTranslator(() => this.conversationId, config.model, this.calls.permissionOfTool());
  }

  pid(): number | undefined {
    return this.server.pid();
  }

  async start(): Promise<void> {
    if (this.server.running) return;
    if (this.config.systemPrompt) writeFileSync(instructionsFile(this.config), this.config.systemPrompt, { mode: 0o600 });
    prepareOpencodeHome(this.config.home);
    // Pre-started: the warm-up's model answers from inside the sandbox (warm-stub.ts).
    if (this.config.prestart && !this.warmedUp) this.warmStub ??= startWarmUpStub();
    // Pre-started and not bound yet: MCP off (a server started after the bind connects them itself).
    const config = opencodeConfig(this.config, { mcpOff: this.config.prestart && !this.mcpAtBind });
    await this.server.start({
      binary: this.config.binary ?? harnessBinary("opencode"),
      cwd: this.config.workspace,
      env: opencodeEnv({
        home: this.config.home,
        env: this.config.env,
        apiKey: this.config.apiKey,
        configContent: JSON.stringify(this.warmStub ? withWarmUpProvider(config, this.warmStub.url, this.config.model) : config),
        password: this.server.password,
      }),
    });
    try {
      await this.ensureSession();
    } catch (error) {
      this.server.kill();
      throw error;
    }
  }

  private onBusEvent(event: BusEvent): void {
    const sessionId = event.properties?.sessionID;
    if (this.warming && sessionId === this.warming.id) {
      if (event.type === "session.idle" || event.type === "session.error") this.warming.ended();
      return;
    }
    if (event.type === "permission.asked") {
      this.calls.onAsked(parsePermissionAsked(event.properties));
      return;
    }
    if (event.type === "permission.replied") {
      this.calls.onReplied(event.properties?.requestID);
      return;
    }
    if (event.type === "session.idle" && sessionId === this.conversationId && this.calls.onIdle()) return;
    for (const normalized of this.translator.translate(event)) {
      this.turn?.emit(normalized);
      if (normalized.type === "agent.tool_result") this.calls.onToolResult(normalized.tool_use_id);
    }
  }

  /** Warm pre-start: the first-turn path run once on a throwaway session (warm-up.ts). */
  async warmUp(): Promise<void> {
    await this.start();
    try {
      const model = { providerID: this.warmStub ? WARM_UP_PROVIDER : PROVIDER, modelID: this.config.model };
      await warmUpPrompt(this.server, model, (id, ended) => {
        this.warming = { id, ended };
      });
    } finally {
      this.warming = undefined;
      this.warmedUp = true;
      this.warmStub?.stop();
    }
  }

  /** The bind kept this pre-started server: connect the MCP servers it started without. */
  async bound(): Promise<void> {
    const names = (this.config.mcpServers ?? []).map((s) => s.name);
    this.mcpAtBind = this.server.running
      ? connectMcpServers(this.server, names).catch((error: Error) =>
          console.error(`opencode: connecting MCP after the bind: ${error.message}`),
        )
      : Promise.resolve();
    await this.mcpAtBind;
  }

  private reply(requestId: string, body: PermissionReply): Promise<Response> {
    return this.server.api(`/permission/${encodeURIComponent(requestId)}/reply`, { method: "POST", body: JSON.stringify(body) });
  }

  private async ensureSession(): Promise<void> {
    if (this.conversationId) {
      const existing = await this.server.api(`/session/${this.conversationId}`);
      if (existing.ok) return;
    }
    const created = await this.server.api("/session", { method: "POST", body: JSON.stringify({}) });
    if (!created.ok) throw new Error(`opencode: creating a session failed (HTTP ${created.status})`);
    this.conversationId = ((await created.json()) as { id: string }).id;
  }

  private onExit(code: number, stderrTail: string): void {
    this.calls.reset();
    const turn = this.turn;
    if (!turn || turn.finished) return;
    turn.emit(
      ev.error("harness_crashed", `opencode serve exited mid-turn (code ${code})${stderrTail ? `: ${stderrTail.slice(-500)}` : ""}`),
    );
  }

  /** Opens a LAP turn (status_running). */
  private open(onEvent?: (event: HarnessEvent) => void): TurnRecorder {
    if (this.turn && !this.turn.finished) throw new Error("opencode: a turn is already running");
    const turn = new TurnRecorder(onEvent);
    this.turn = turn;
    this.translator.interrupted = false;
    turn.emit({ type: "session.status_running" });
    return turn;
  }

  async send(text: string, onEvent?: (event: HarnessEvent) => void, attachments: Attachment[] = []): Promise<TurnResult> {
    const turn = this.open(onEvent);
    const prompt = this.historyPending ? withHistory(text, this.config.history) : text;
    this.historyPending = false;
    const post = async () => {
      try {
        await this.start(); // restarts the server after a crash; the session comes back from its store
        await this.mcpAtBind;
        const response = await this.server.api(`/session/${this.conversationId}/prompt_async`, {
          method: "POST",
          // Attachments as opencode `file` parts with data URLs (docs/sessions.md "Attachments").
          body: JSON.stringify({
            parts: [
              { type: "text", text: prompt },
              ...attachments.map((a, i) => ({
                type: "file",
                mime: a.mediaType,
                filename: a.title ?? `attachment-${i + 1}.${a.mediaType.split("/")[1]}`,
                url: dataUrl(a),
              })),
            ],
            model: { providerID: PROVIDER, modelID: this.config.model },
          }),
        });
        if (!response.ok) throw new Error(`prompt rejected (HTTP ${response.status}): ${(await response.text()).slice(0, 300)}`);
      } catch (error) {
        turn.emit(ev.error("harness_start_failed", `opencode: ${(error as Error).message}`));
      }
    };
    // A message instead of a decision refuses the waiting calls (as the built-in harness does); it is
    // sent once opencode's refused loop has stopped, so it starts a loop of its own.
    if (this.calls.waiting && this.server.running) this.calls.refuse(() => void post());
    else await post();
    const outcome = await turn.done;
    return { outcome, events: turn.events };
  }

  async confirm(confirmation: ToolConfirmation, onEvent?: (event: HarnessEvent) => void): Promise<TurnResult> {
    const turn = this.open(onEvent);
    const waiting = this.server.running ? this.calls.take(confirmation.tool_use_id) : undefined;
    if (!waiting) {
      turn.emit(ev.error("harness_failed", `no tool call ${confirmation.tool_use_id} is waiting for a decision`));
    } else {
      // The same opencode loop carries on; what it does next streams into this turn.
      const message = confirmation.result === "deny" ? denialMessage(confirmation.deny_message) : undefined;
      const response = await this.reply(waiting.requestId, replyBody(confirmation.result, message)).catch((error: Error) => error);
      if (response instanceof Error || !response.ok) {
        const why = response instanceof Error ? response.message : `HTTP ${response.status}`;
        turn.emit(ev.error("harness_failed", `opencode: answering the permission request failed (${why})`));
      }
    }
    const outcome = await turn.done;
    return { outcome, events: turn.events };
  }

  async interrupt(): Promise<void> {
    const turn = this.turn;
    if (this.calls.waiting && this.server.running && (!turn || turn.finished)) {
      // No LAP turn runs while calls wait: the interrupt refuses them and opencode's loop stops quietly.
      this.calls.refuse(() => undefined);
      return;
    }
    if (!turn || turn.finished || !this.server.running) return;
    this.translator.interrupted = true;
    // Aborting stops the loop and with it any call still waiting (a confirmation turn's siblings).
    this.calls.clear();
    await this.server.api(`/session/${this.conversationId}/abort`, { method: "POST" }).catch(() => undefined);
    const timer = setTimeout(() => turn.emit(ev.idle("interrupted")), 10_000);
    await turn.done;
    clearTimeout(timer);
  }

  async stop(): Promise<void> {
    this.calls.stop();
    await this.server.stop();
  }
}
