// opencode as a LAP harness: `opencode serve` on loopback inside the sandbox, one opencode session
// per LAP session (its SQLite store lives in the session's home, so a restarted server resumes the
// same session). LAP's gateway is the only provider (OpenAI-compatible, /v1/chat/completions), and
// the agent's model is pinned as model, small_model and the model of every built-in agent, so titles,
// summaries and compaction never use anything else.
//
// Tool approvals: the agent's approval-required tools are `ask` in opencode's permission config
// (permissions.ts). A listed call's `permission.asked` ends LAP's turn with `requires_action` while
// opencode's loop waits, and the `tool_confirmation` turn answers it through
// `POST /permission/{id}/reply`, so the same opencode session carries on.
import { type Attachment, dataUrl } from "../attachments.ts";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { harnessBinary } from "../binaries.ts";
import { denialMessage } from "../claude-code/permissions.ts";
import { type CliProcess, spawnCli, TurnRecorder } from "../process.ts";
import {
  events as ev,
  type HarnessAdapter,
  type HarnessConfig,
  type HarnessEvent,
  type McpEndpoint,
  type ToolConfirmation,
  type TurnResult,
  withHistory,
} from "../types.ts";
import {
  opencodePermission,
  opencodePermissionConfig,
  type PermissionAsked,
  parsePermissionAsked,
  permissionOfTool,
  replyBody,
} from "./permissions.ts";
import { KEY_ENV, opencodeEnv, prepareOpencodeHome } from "./start.ts";
import { OpencodeTranslator, readSse } from "./translate.ts";
import { startWarmUpStub, WARM_UP_PROVIDER, withWarmUpProvider } from "./warm-stub.ts";

const PROVIDER = "lap";
// opencode (a 185 MB compiled Bun program) takes 5-40 s to boot on a busy 2-core machine.
const START_TIMEOUT_MS = 90_000;
/**
 * opencode runs a response's tool calls as each one streams in, so their permission requests come one
 * after the other: the turn ends requires_action once none has come for this long, with all of them.
 */
const ASK_SETTLE_MS = 300;
/** If opencode does not go idle this long after LAP refused its waiting calls, LAP carries on anyway. */
const REFUSAL_GRACE_MS = 10_000;
/** How long a warm pre-start waits for opencode's warm-up prompt to end. */
const WARM_UP_MS = 90_000;

export function opencodeConfig(config: HarnessConfig): Record<string, unknown> {
  const model = `${PROVIDER}/${config.model}`;
  return {
    $schema: "https://opencode.ai/config.json",
    autoupdate: false,
    share: "disabled",
    // The sandbox is the boundary: nobody is at opencode's prompt to answer "ask" (a bash command
    // touching /tmp would otherwise wait forever for external_directory approval). Only the agent's
    // approval-required tools ask, and LAP answers them (docs/approvals.md).
    permission: opencodePermissionConfig(config.approvalRequiredTools ?? []),
    // Only LAP's gateway: no built-in or free providers to fall back to.
    enabled_providers: [PROVIDER],
    provider: {
      [PROVIDER]: {
        npm: "@ai-sdk/openai-compatible",
        name: "LAP gateway",
        // The key stays in the environment, not in a config file on disk.
        options: { baseURL: `${config.gatewayUrl.replace(/\/$/, "")}/v1`, apiKey: `{env:${KEY_ENV}}` },
        // Declared multimodal: opencode replaces images with an error text for a model that is not
        // (attachments, docs/sessions.md); the gateway and the provider decide what the model takes.
        // Declared in full (tools too): opencode's models.dev catalogue is empty (start.ts).
        models: {
          [config.model]: {
            name: config.model,
            tool_call: true,
            attachment: true,
            modalities: { input: ["text", "image", "pdf"], output: ["text"] },
          },
        },
      },
    },
    model,
    small_model: model,
    agent: Object.fromEntries(["build", "plan", "general", "title", "summary", "compaction"].map((name) => [name, { model }])),
    ...(config.mcpServers?.length ? { mcp: opencodeMcp(config.mcpServers, config.mcpStartTimeoutMs) } : {}),
    // The agent's system prompt with its always-on memory (docs/memory.md), written by the adapter.
    ...(config.systemPrompt ? { instructions: [instructionsFile(config)] } : {}),
  };
}

const instructionsFile = (config: HarnessConfig) => join(config.home, "lap-instructions.md");

/**
 * The agent's MCP servers as opencode remote servers: LAP's proxy URL, the session key by env
 * reference (never written out), and no OAuth discovery (LAP holds the upstream credentials).
 */
export function opencodeMcp(servers: McpEndpoint[], timeoutMs?: number): Record<string, unknown> {
  return Object.fromEntries(
    servers.map((s) => [
      s.name,
      {
        type: "remote",
        url: s.url,
        enabled: true,
        oauth: false,
        headers: { Authorization: `Bearer {env:${KEY_ENV}}` },
        // Pre-started (harness/supervisor/binding.ts): its MCP requests wait for the bind.
        ...(timeoutMs ? { timeout: timeoutMs } : {}),
      },
    ]),
  );
}

async function freeLoopbackPort(): Promise<number> {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

export class OpencodeAdapter implements HarnessAdapter {
  readonly name = "opencode" as const;
  conversationId: string | undefined;
  private cli: CliProcess | undefined;
  private baseUrl = "";
  private readonly password = randomBytes(18).toString("base64url");
  private turn: TurnRecorder | undefined;
  private translator: OpencodeTranslator;
  private historyPending: boolean;
  private events: AbortController | undefined;
  /** opencode permissions that wait for a person (the agent's approval-required tools). */
  private readonly asks: ReadonlySet<string>;
  /** Listed calls opencode waits on (LAP's turn ended, or will end, with requires_action), oldest first. */
  private pending: PermissionAsked[] = [];
  /** A call just answered while others still wait: the turn ends requires_action once its result is in. */
  private answeredWhileWaiting: string | undefined;
  private askTimer: ReturnType<typeof setTimeout> | undefined;
  /** Runs when opencode goes idle after LAP refused its waiting calls (that idle ends no LAP turn). */
  private afterRefusal: (() => void) | undefined;
  /** The throwaway session a warm-up runs (warmUp); its events are no turn's. */
  private warming: { id: string; done: () => void } | undefined;
  /** The warm-up's stub model (warm-stub.ts) while a pre-started server warms up. */
  private warmStub: { url: string; stop(): void } | undefined;
  private warmedUp = false;

  constructor(private readonly config: HarnessConfig) {
    this.conversationId = config.resumeId;
    this.historyPending = Boolean(config.history?.length) && !config.resumeId;
    this.asks = new Set((config.approvalRequiredTools ?? []).map(opencodePermission));
    const permission = this.asks.size
      ? (tool: string) => (this.asks.has(permissionOfTool(tool)) ? ("ask" as const) : ("allow" as const))
      : undefined;
    this.translator = new OpencodeTranslator(() => this.conversationId, config.model, permission);
  }

  pid(): number | undefined {
    return this.cli?.proc.pid;
  }

  private headers(): Record<string, string> {
    return { authorization: `Basic ${btoa(`lap:${this.password}`)}`, "content-type": "application/json" };
  }

  private api(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${this.baseUrl}${path}`, { ...init, headers: this.headers() });
  }

  async start(): Promise<void> {
    if (this.cli) return;
    const port = await freeLoopbackPort();
    let announce!: (url: string) => void;
    const listening = new Promise<string>((resolve) => {
      announce = resolve;
    });
    const onLine = (line: string) => {
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match) announce(match[1]!);
    };
    if (this.config.systemPrompt) writeFileSync(instructionsFile(this.config), this.config.systemPrompt, { mode: 0o600 });
    prepareOpencodeHome(this.config.home);
    // Pre-started: the warm-up's model answers from inside the sandbox (warm-stub.ts).
    if (this.config.prestart && !this.warmedUp) this.warmStub ??= startWarmUpStub();
    const cli = spawnCli({
      cmd: [this.config.binary ?? harnessBinary("opencode"), "serve", "--hostname", "127.0.0.1", "--port", String(port)],
      cwd: this.config.workspace,
      env: opencodeEnv({
        home: this.config.home,
        env: this.config.env,
        apiKey: this.config.apiKey,
        configContent: JSON.stringify(
          this.warmStub
            ? withWarmUpProvider(opencodeConfig(this.config), this.warmStub.url, this.config.model)
            : opencodeConfig(this.config),
        ),
        password: this.password,
      }),
      onLine,
      onStderrLine: onLine,
    });
    this.cli = cli;
    void cli.exited.then((code) => this.onExit(cli, code));
    const exitedEarly = cli.exited.then((code) => {
      throw new Error(`opencode serve exited (code ${code}): ${cli.stderrTail().slice(-500)}`);
    });
    const timeout = Bun.sleep(START_TIMEOUT_MS).then(() => {
      throw new Error("opencode serve did not start listening in time");
    });
    try {
      this.baseUrl = await Promise.race([listening, exitedEarly, timeout]);
      this.subscribe();
      await this.ensureSession();
    } catch (error) {
      cli.kill("SIGKILL");
      this.cli = undefined;
      throw error;
    }
  }

  /** One bus subscription for the server's lifetime; events are routed to the running turn. */
  private subscribe(): void {
    this.events?.abort();
    const controller = new AbortController();
    this.events = controller;
    const cli = this.cli;
    void fetch(`${this.baseUrl}/event`, { headers: this.headers(), signal: controller.signal })
      .then((response) => (response.body ? readSse(response.body, (event) => this.onBusEvent(event)) : undefined))
      .catch(() => undefined)
      .then(() => {
        // The bus closed while the server still runs: listen again, or a running turn would never end.
        if (!controller.signal.aborted && this.cli === cli && cli) setTimeout(() => this.cli === cli && this.subscribe(), 200);
      });
  }

  private onBusEvent(event: { type: string; properties?: Record<string, unknown> }): void {
    if (this.warming && event.properties?.sessionID === this.warming.id) {
      if (event.type === "session.idle" || event.type === "session.error") this.warming.done();
      return;
    }
    if (event.type === "permission.asked") {
      this.onPermissionAsked(parsePermissionAsked(event.properties));
      return;
    }
    if (event.type === "permission.replied") {
      // opencode rejects a session's other waiting requests along with a rejected one.
      const requestId = event.properties?.requestID;
      this.pending = this.pending.filter((p) => p.requestId !== requestId);
      return;
    }
    if (event.type === "session.idle" && event.properties?.sessionID === this.conversationId && this.afterRefusal) {
      const then = this.afterRefusal;
      this.afterRefusal = undefined;
      then();
      return;
    }
    for (const normalized of this.translator.translate(event)) {
      this.turn?.emit(normalized);
      if (normalized.type === "agent.tool_result" && normalized.tool_use_id === this.answeredWhileWaiting) {
        this.answeredWhileWaiting = undefined;
        this.settleAsks();
      }
    }
  }

  /** A listed call waits for a person; anything else opencode asks about runs (it should not ask). */
  private onPermissionAsked(asked: PermissionAsked | undefined): void {
    if (!asked) return;
    if (!this.asks.has(asked.permission)) {
      void this.reply(asked.requestId, { reply: "once" });
      return;
    }
    if (asked.sessionId !== this.conversationId || !asked.callId) {
      // A sub-agent's call (opencode's task tool) has no tool_use in LAP's session to decide on:
      // it is refused rather than run unasked.
      void this.reply(
        asked.requestId,
        replyBody("deny", "Not run: this tool needs a person's approval, which LAP asks for only in the main session."),
      );
      return;
    }
    this.pending.push(asked);
    this.settleAsks();
  }

  /** Ends LAP's turn with requires_action for every waiting call once no more are coming. */
  private settleAsks(): void {
    clearTimeout(this.askTimer);
    this.askTimer = setTimeout(() => {
      const turn = this.turn;
      if (!this.pending.length || this.answeredWhileWaiting || !turn || turn.finished) return;
      turn.emit(ev.requiresAction(this.pending.map((p) => p.callId!)));
    }, ASK_SETTLE_MS);
  }

  private reply(requestId: string, body: ReturnType<typeof replyBody>): Promise<Response> {
    return this.api(`/permission/${encodeURIComponent(requestId)}/reply`, { method: "POST", body: JSON.stringify(body) });
  }

  /**
   * Refuses every waiting call (a plain reject, which stops opencode's loop); `then` runs once opencode
   * has gone idle. The refused calls' results go to whatever LAP turn is open.
   */
  private refusePending(then: () => void): void {
    const waiting = this.pending.splice(0);
    this.answeredWhileWaiting = undefined;
    const timer = setTimeout(() => this.afterRefusal === run && ((this.afterRefusal = undefined), then()), REFUSAL_GRACE_MS);
    const run = () => {
      clearTimeout(timer);
      then();
    };
    this.afterRefusal = run;
    for (const request of waiting) void this.reply(request.requestId, replyBody("deny")).catch(() => undefined);
  }

  /**
   * Warm pre-start: opencode does most of its first-turn work (loading the provider, its tools, the
   * workspace scan) on the first prompt, not at `serve`. A throwaway session's prompt runs that path;
   * its model call is refused by the sandbox's gateway proxy before the bind (nothing reaches LAP),
   * and the session is deleted. The session's own conversation is the one `start` created.
   */
  async warmUp(): Promise<void> {
    await this.start();
    const created = await this.api("/session", { method: "POST", body: JSON.stringify({}) });
    if (!created.ok) throw new Error(`opencode: creating the warm-up session failed (HTTP ${created.status})`);
    const id = ((await created.json()) as { id: string }).id;
    const done = new Promise<void>((resolve) => {
      this.warming = { id, done: resolve };
    });
    const prompt = await this.api(`/session/${id}/prompt_async`, {
      method: "POST",
      body: JSON.stringify({
        parts: [{ type: "text", text: "warm-up" }],
        model: { providerID: this.warmStub ? WARM_UP_PROVIDER : PROVIDER, modelID: this.config.model },
      }),
    });
    if (prompt.ok) await Promise.race([done, Bun.sleep(WARM_UP_MS)]);
    this.warming = undefined;
    this.warmedUp = true;
    this.warmStub?.stop();
    await this.api(`/session/${id}`, { method: "DELETE" }).catch(() => undefined);
  }

  private async ensureSession(): Promise<void> {
    if (this.conversationId) {
      const existing = await this.api(`/session/${this.conversationId}`);
      if (existing.ok) return;
    }
    const created = await this.api("/session", { method: "POST", body: JSON.stringify({}) });
    if (!created.ok) throw new Error(`opencode: creating a session failed (HTTP ${created.status})`);
    this.conversationId = ((await created.json()) as { id: string }).id;
  }

  private onExit(cli: CliProcess, code: number): void {
    if (this.cli !== cli) return;
    this.cli = undefined;
    this.events?.abort();
    // Waiting calls die with the server; a decision on one then finds nothing to answer.
    this.pending = [];
    this.answeredWhileWaiting = undefined;
    this.afterRefusal = undefined;
    const turn = this.turn;
    if (!turn || turn.finished) return;
    turn.emit(
      ev.error(
        "harness_crashed",
        `opencode serve exited mid-turn (code ${code})${cli.stderrTail() ? `: ${cli.stderrTail().slice(-500)}` : ""}`,
      ),
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
        const response = await this.api(`/session/${this.conversationId}/prompt_async`, {
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
    if (this.pending.length && this.cli) this.refusePending(() => void post());
    else await post();
    const outcome = await turn.done;
    return { outcome, events: turn.events };
  }

  async confirm(confirmation: ToolConfirmation, onEvent?: (event: HarnessEvent) => void): Promise<TurnResult> {
    const turn = this.open(onEvent);
    const index = this.pending.findIndex((p) => p.callId === confirmation.tool_use_id);
    if (index < 0 || !this.cli) {
      turn.emit(ev.error("harness_failed", `no tool call ${confirmation.tool_use_id} is waiting for a decision`));
    } else {
      // The same opencode loop carries on; what it does next streams into this turn.
      const [waiting] = this.pending.splice(index, 1) as [PermissionAsked];
      if (this.pending.length) this.answeredWhileWaiting = waiting.callId;
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
    if (this.pending.length && this.cli && (!turn || turn.finished)) {
      // No LAP turn runs while calls wait: the interrupt refuses them and opencode's loop stops quietly.
      this.refusePending(() => undefined);
      return;
    }
    if (!turn || turn.finished || !this.cli) return;
    this.translator.interrupted = true;
    // Aborting stops the loop and with it any call still waiting (a confirmation turn's siblings).
    this.pending = [];
    this.answeredWhileWaiting = undefined;
    await this.api(`/session/${this.conversationId}/abort`, { method: "POST" }).catch(() => undefined);
    const timer = setTimeout(() => turn.emit(ev.idle("interrupted")), 10_000);
    await turn.done;
    clearTimeout(timer);
  }

  async stop(): Promise<void> {
    const cli = this.cli;
    this.events?.abort();
    clearTimeout(this.askTimer);
    if (!cli) return;
    this.cli = undefined;
    cli.kill("SIGTERM");
    const timer = setTimeout(() => cli.kill("SIGKILL"), 3_000);
    await cli.exited;
    clearTimeout(timer);
  }
}
