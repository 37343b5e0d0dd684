// Codex as a LAP harness: one long-lived `codex app-server` per session, driven over its JSON-RPC
// protocol (initialize → thread/start or thread/resume → turn/start per message, turn/interrupt).
// Unlike `codex exec --json`, the app server streams replies and reasoning as deltas and reports
// each file change with its diff. Codex keeps its own conversation (rollout files in CODEX_HOME
// under the session's home); after a crash the next turn resumes the thread in a new process.
// The model provider is LAP's gateway (/v1, Responses API) with the session key read from an env
// var, and the agent's model is pinned in config.toml and on the thread.
//
// Tool approvals: with approval-required tools the thread runs with approvalPolicy "untrusted", so
// Codex asks the client before commands and file changes (approvals.ts). Calls not listed are
// accepted at once; a listed one ends LAP's turn with `requires_action` while Codex waits, and the
// `tool_confirmation` turn answers it, so the same process and Codex turn carry on.
import { type Attachment, dataUrl, saveToWorkspace } from "../attachments.ts";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { baseEnv, harnessBinary } from "../binaries.ts";
import { CliTurns } from "../cli-turns.ts";
import { denialMessage } from "../claude-code/permissions.ts";
import { type CliProcess, spawnCli } from "../process.ts";
import {
  events as ev,
  type HarnessAdapter,
  type HarnessConfig,
  type HarnessEvent,
  type McpEndpoint,
  type ToolConfirmation,
  type TurnResult,
} from "../types.ts";
import { type ApprovalRequest, needsApproval, parseApprovalRequest } from "./approvals.ts";
import { JsonRpc, type Notification, RpcError, type ServerRequest } from "./rpc.ts";
import { CodexTranslator } from "./translate.ts";

const KEY_ENV = "LAP_GATEWAY_KEY";
/** How often Codex tries a cut model stream, and each request in it, again (a LAP restart; see codexConfigToml). */
const CODEX_STREAM_RETRIES = 20;
const CODEX_REQUEST_RETRIES = 10;
/** If Codex does not end its turn this long after LAP cancelled the waiting calls, it is killed (never a stuck session). */
const REFUSAL_GRACE_MS = 10_000;

/** Codex's approval policy: "untrusted" asks the client before commands and file changes. */
const approvalPolicy = (config: HarnessConfig) => (config.approvalRequiredTools?.length ? "untrusted" : "never");

/** TOML string literal (JSON escaping is valid TOML basic-string escaping for these values). */
const toml = (value: string) => JSON.stringify(value);

export function codexConfigToml(config: HarnessConfig): string {
  return [
    `model = ${toml(config.model)}`,
    `model_provider = "lap"`,
    // Summaries and compaction use the same model; nothing here may name another one.
    `review_model = ${toml(config.model)}`,
    // config.toml no longer takes "untrusted" (codex 0.169 refuses to start); the thread sets it.
    `approval_policy = ${toml(config.approvalRequiredTools?.length ? "on-request" : "never")}`,
    `sandbox_mode = "danger-full-access"`,
    `check_for_update_on_startup = false`,
    `web_search = "disabled"`,
    ``,
    `[model_providers.lap]`,
    `name = "LAP gateway"`,
    `base_url = ${toml(`${config.gatewayUrl.replace(/\/$/, "")}/v1`)}`,
    `env_key = "${KEY_ENV}"`,
    `wire_api = "responses"`,
    // A LAP restart cuts the stream and refuses connections until LAP is back (docs/sessions.md "A LAP
    // restart on local sandboxes"): Codex's defaults (5 stream retries) give up within seconds.
    `stream_max_retries = ${CODEX_STREAM_RETRIES}`,
    `request_max_retries = ${CODEX_REQUEST_RETRIES}`,
    ``,
    `[analytics]`,
    `enabled = false`,
    ``,
    ...codexMcpToml(config.mcpServers ?? [], config.mcpStartTimeoutMs, config.approvalRequiredTools ?? []),
  ].join("\n");
}

/**
 * The agent's MCP servers as Codex streamable-HTTP servers (`url` + `bearer_token_env_var`, supported
 * since Codex 0.4x): LAP's proxy URL, the session key read from the environment, never written out.
 * `default_tools_approval_mode = "approve"`: otherwise Codex asks the app server's client before an
 * MCP tool call, the adapter does not answer that request, and the call ends "user rejected MCP tool
 * call"; which tools a session may call is LAP's MCP policy (docs/mcp.md). Codex cannot wait for a
 * person on an MCP call (docs/approvals.md), so the approval-required ones (`<server>__<tool>`, always
 * `lap__request_approval`) are `disabled_tools`: never offered, rather than run unasked.
 */
export function codexMcpToml(servers: McpEndpoint[], startTimeoutMs?: number, approvalRequired: string[] = []): string[] {
  // Pre-started (harness/supervisor/binding.ts): the MCP start waits for the bind.
  const wait = startTimeoutMs ? [`startup_timeout_sec = ${Math.ceil(startTimeoutMs / 1000)}`] : [];
  return servers.flatMap((s) => {
    const disabled = approvalRequired.filter((tool) => tool.startsWith(`${s.name}__`)).map((tool) => toml(tool.slice(s.name.length + 2)));
    return [
      `[mcp_servers.${toml(s.name)}]`,
      `url = ${toml(s.url)}`,
      `bearer_token_env_var = "${KEY_ENV}"`,
      `default_tools_approval_mode = "approve"`,
      ...(disabled.length ? [`disabled_tools = [${disabled.join(", ")}]`] : []),
      ...wait,
      ``,
    ];
  });
}

export class CodexAdapter implements HarnessAdapter {
  readonly name = "codex" as const;
  conversationId: string | undefined;
  private readonly turns: CliTurns;
  private readonly rpc = new JsonRpc(
    (notification) => this.onNotification(notification),
    (request) => this.onServerRequest(request),
  );
  private readonly codexHome: string;
  /** Resolves once the current process has a thread (initialize + thread/start or resume). */
  private ready: Promise<void> | undefined;
  private translator: CodexTranslator | undefined;
  private turnId: string | undefined;
  /** The agent's approval-required tools; when there are none Codex never asks. */
  private readonly approvalTools: ReadonlySet<string>;
  /** Calls Codex waits on a person for (LAP's turn ended with requires_action), oldest first. */
  private pending: ApprovalRequest[] = [];
  /** A call just answered while others still wait: the turn ends requires_action once its result is in. */
  private answeredWhileWaiting: string | undefined;
  /** Events from Codex's turn while no LAP turn ran and calls waited (deliver). */
  private backlog: HarnessEvent[] = [];
  /** LAP cancelled the waiting calls and waits for Codex's turn to end; its notifications belong to no LAP turn. */
  private refusing: { ended: () => void } | undefined;

  constructor(private readonly config: HarnessConfig) {
    this.conversationId = config.resumeId;
    this.turns = new CliTurns("codex", config);
    this.codexHome = join(config.home, ".codex");
    this.approvalTools = new Set(config.approvalRequiredTools ?? []);
  }

  private get asksForApproval(): boolean {
    return this.approvalTools.size > 0;
  }

  async start(): Promise<void> {
    await this.ensureThread();
  }

  pid(): number | undefined {
    return this.turns.cli?.proc.pid;
  }

  private ensureThread(): Promise<void> {
    if (this.turns.cli && this.ready) return this.ready;
    mkdirSync(this.codexHome, { recursive: true });
    writeFileSync(join(this.codexHome, "config.toml"), codexConfigToml(this.config), { mode: 0o600 });
    const cli = spawnCli({
      cmd: [this.config.binary ?? harnessBinary("codex"), "app-server"],
      cwd: this.config.workspace,
      env: baseEnv(this.config.home, { ...this.config.env, CODEX_HOME: this.codexHome, [KEY_ENV]: this.config.apiKey }),
      onLine: (line) => this.rpc.onLine(line),
    });
    this.turns.cli = cli;
    this.rpc.attach(cli);
    void cli.exited.then((code) => this.onExit(cli, code));
    const ready = this.openThread();
    this.ready = ready;
    return ready;
  }

  private async openThread(): Promise<void> {
    await this.rpc.request("initialize", { clientInfo: { name: "lap", title: "LAP", version: "1" }, capabilities: null });
    this.rpc.notify("initialized");
    // developerInstructions: the agent's system prompt with its always-on memory (docs/memory.md).
    const thread = {
      model: this.config.model,
      modelProvider: "lap",
      cwd: this.config.workspace,
      approvalPolicy: approvalPolicy(this.config),
      sandbox: "danger-full-access",
      ...(this.config.systemPrompt ? { developerInstructions: this.config.systemPrompt } : {}),
    };
    const opened = this.conversationId
      ? await this.rpc.request<{ thread: { id: string } }>("thread/resume", { threadId: this.conversationId, ...thread })
      : await this.rpc.request<{ thread: { id: string } }>("thread/start", thread);
    this.conversationId = opened.thread.id;
  }

  private onExit(cli: CliProcess, code: number): void {
    // Only the current process's exit touches the protocol state (a replaced one may exit late).
    if (this.turns.cli === cli) {
      this.ready = undefined;
      // A waiting call dies with its process; a decision on it then finds nothing to answer.
      this.pending = [];
      this.backlog = [];
      this.answeredWhileWaiting = undefined;
      this.refusing?.ended();
      this.rpc.closed(new RpcError("codex", `app-server exited (code ${code})`));
    }
    this.turns.exited(cli, code);
  }

  private onNotification(notification: Notification): void {
    if (notification.params.threadId !== undefined && notification.params.threadId !== this.conversationId) return;
    if (this.refusing) {
      if (notification.method === "turn/completed") this.refusing.ended();
      return;
    }
    const translator = this.translator;
    if (!translator) return;
    const translated = translator.translate(notification);
    if (translated.turnId) this.turnId = translated.turnId;
    for (const event of translated.events) this.deliver(event);
  }

  /**
   * An event for LAP's running turn. While none runs and calls wait (the turn ended requires_action),
   * Codex's turn goes on: a parallel call asking late, or an unlisted one running meanwhile, is kept
   * for the next LAP turn (a decision or a message) instead of being lost.
   */
  private deliver(event: HarnessEvent): void {
    const turn = this.turns.turn;
    if (!turn || turn.finished) {
      if (this.pending.length && event.type !== "session.status_idle" && event.type !== "session.error") this.backlog.push(event);
      return;
    }
    turn.emit(event);
    if (event.type === "agent.tool_result" && event.tool_use_id === this.answeredWhileWaiting) {
      this.answeredWhileWaiting = undefined;
      if (this.pending.length) turn.emit(ev.requiresAction(this.pending.map((p) => p.itemId)));
    }
  }

  /** What happened while no LAP turn ran goes first into the turn that just opened. */
  private flushBacklog(turn: { emit: (event: HarnessEvent) => void }): void {
    for (const event of this.backlog.splice(0)) turn.emit(event);
  }

  /**
   * Codex asks before a command or file change: a call not listed is accepted at once; a listed one
   * waits and ends LAP's turn with requires_action. Its tool call (held by the translator) is emitted
   * now, marked "ask" or "allow".
   */
  private onServerRequest(request: ServerRequest): boolean {
    const approval = this.asksForApproval ? parseApprovalRequest(request.id, request.method, request.params) : undefined;
    if (!approval) return false;
    const listed = needsApproval(approval.kind, this.approvalTools);
    if (listed) this.pending.push(approval);
    for (const event of this.translator?.release(approval.itemId, listed ? "ask" : "allow") ?? []) this.deliver(event);
    if (!listed) {
      this.rpc.respond(approval.requestId, { decision: "accept" });
      return true;
    }
    const turn = this.turns.turn;
    // Without a running turn it is announced (and its turn ends requires_action) in the next one.
    if (turn && !turn.finished && !this.answeredWhileWaiting) turn.emit(ev.requiresAction(this.pending.map((p) => p.itemId)));
    return true;
  }

  /**
   * Cancels every waiting call ("cancel" declines it and ends Codex's turn) and waits for that turn to
   * end, so that what comes next starts a Codex turn of its own. Returns the refused calls' ids.
   */
  private async refusePending(): Promise<string[]> {
    const waiting = this.pending.splice(0);
    this.answeredWhileWaiting = undefined;
    const cli = this.turns.cli;
    if (!waiting.length || !cli) return waiting.map((p) => p.itemId);
    const ended = new Promise<void>((resolve) => {
      this.refusing = { ended: resolve };
    });
    const timer = setTimeout(() => cli.kill("SIGKILL"), REFUSAL_GRACE_MS);
    for (const request of waiting) this.rpc.respond(request.requestId, { decision: "cancel" });
    await ended;
    clearTimeout(timer);
    this.refusing = undefined;
    this.turnId = undefined;
    return waiting.map((p) => p.itemId);
  }

  async send(text: string, onEvent?: (event: HarnessEvent) => void, attachments: Attachment[] = []): Promise<TurnResult> {
    // Images as the app server's `image` inputs (data URLs); a PDF, which Codex has no input for, as a workspace file.
    const images = attachments.filter((a) => a.kind === "image");
    const { turn, prompt } = this.turns.begin(
      saveToWorkspace(
        this.config.workspace,
        text,
        attachments.filter((a) => a.kind !== "image"),
      ),
      onEvent,
    );
    this.flushBacklog(turn);
    // A message instead of a decision refuses the waiting calls (as the built-in harness does).
    for (const id of await this.refusePending())
      turn.emit(ev.toolResult(id, "Not run: the user sent a new message instead of deciding on this tool call.", true));
    this.translator = new CodexTranslator(this.config.model, this.asksForApproval);
    this.turnId = undefined;
    try {
      await this.ensureThread();
      const started = await this.rpc.request<{ turn: { id: string } }>("turn/start", {
        threadId: this.conversationId,
        input: [{ type: "text", text: prompt, text_elements: [] }, ...images.map((a) => ({ type: "image", url: dataUrl(a) }))],
        model: this.config.model,
      });
      this.turnId ??= started.turn.id;
    } catch (error) {
      // A process that died has already ended the turn as a crash (onExit); this is then a no-op.
      this.turns.fail("harness_start_failed", `codex could not start the turn: ${(error as Error).message}`);
    }
    return this.turns.result(turn);
  }

  async confirm(confirmation: ToolConfirmation, onEvent?: (event: HarnessEvent) => void): Promise<TurnResult> {
    const turn = this.turns.open(onEvent);
    this.flushBacklog(turn);
    const index = this.pending.findIndex((p) => p.itemId === confirmation.tool_use_id);
    if (index < 0 || !this.turns.cli) {
      this.turns.fail("harness_failed", `no tool call ${confirmation.tool_use_id} is waiting for a decision`);
      return this.turns.result(turn);
    }
    // The same Codex turn carries on; what it does next streams into this turn.
    const [waiting] = this.pending.splice(index, 1) as [ApprovalRequest];
    if (this.pending.length) this.answeredWhileWaiting = waiting.itemId;
    if (confirmation.result === "allow") {
      this.rpc.respond(waiting.requestId, { decision: "accept" });
    } else {
      const text = denialMessage(confirmation.deny_message);
      this.translator?.decline(waiting.itemId, text);
      // Codex tells the model only "rejected by user": the person's reason goes into the same turn as
      // steering input first, so the model's next request (after the refusal) carries it.
      await this.rpc
        .request("turn/steer", {
          threadId: this.conversationId,
          input: [{ type: "text", text, text_elements: [] }],
          expectedTurnId: waiting.turnId,
        })
        .catch(() => undefined);
      this.rpc.respond(waiting.requestId, { decision: "decline" });
    }
    return this.turns.result(turn);
  }

  async interrupt(): Promise<void> {
    if (this.pending.length && (!this.turns.turn || this.turns.turn.finished)) {
      // No LAP turn is running while calls wait: the interrupt refuses them and Codex's turn ends quietly
      // (calls that asked late were never announced and never ran: nothing to report).
      await this.refusePending();
      this.backlog = [];
      return;
    }
    await this.turns.interrupt(() => {
      // Calls still waiting (a confirmation turn running while others wait) are refused with it.
      for (const request of this.pending.splice(0)) this.rpc.respond(request.requestId, { decision: "cancel" });
      this.answeredWhileWaiting = undefined;
      if (!this.turnId) return; // not started yet: the grace timer kills the process
      this.rpc.request("turn/interrupt", { threadId: this.conversationId, turnId: this.turnId }).catch(() => undefined);
    });
  }

  async stop(): Promise<void> {
    await this.turns.stop();
  }
}
