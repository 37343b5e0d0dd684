// Claude Code as a LAP harness: one long-lived `claude -p` process in stream-JSON mode per session,
// so the CLI keeps its own conversation across turns; if it dies, the next turn restarts it with
// `--resume <session id>`. Every model call goes to LAP's gateway (/v1/messages) under the session key,
// and every model slot Claude Code has (main, small/fast, haiku/sonnet/opus aliases, sub-agents) is
// pinned to the agent's model so nothing silently falls back to another model.
//
// Tool approvals: with approval-required tools the CLI still bypasses permissions, but `ask` rules for
// the listed tools make it ask LAP over stream JSON (`--permission-prompt-tool stdio`, permissions.ts).
// A listed tool ends LAP's turn with `requires_action` while the CLI waits, and the
// `tool_confirmation` turn answers it, so the same process carries on.
import type { Attachment } from "../attachments.ts";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { baseEnv, harnessBinary } from "../binaries.ts";
import { CliTurns } from "../cli-turns.ts";
import { RetriedResponses } from "../restarts.ts";
import { type CliProcess, spawnCli } from "../process.ts";
import {
  events as ev,
  type HarnessAdapter,
  type HarnessConfig,
  type HarnessEvent,
  type ToolConfirmation,
  type TurnResult,
} from "../types.ts";
import {
  allowResponse,
  claudeAskRules,
  denialMessage,
  denyResponse,
  needsApproval,
  type PermissionRequest,
  parseCancelRequest,
  parsePermissionRequest,
} from "./permissions.ts";
import { translateClaudeLine } from "./translate.ts";

/** If Claude Code does not end the turn this long after an interrupt request, it is killed. */
const INTERRUPT_GRACE_MS = 5_000;
/** If Claude Code does not end its turn this long after LAP refused a waiting call, it is killed (never a stuck session). */
const REFUSAL_GRACE_MS = 10_000;
/** How long a warm pre-start waits for Claude Code to answer `initialize`. */
const WARM_UP_MS = 60_000;

export function claudeCodeEnv(config: HarnessConfig): Record<string, string> {
  const model = config.model;
  return baseEnv(config.home, {
    ...config.env,
    ANTHROPIC_BASE_URL: config.gatewayUrl,
    ANTHROPIC_AUTH_TOKEN: config.apiKey,
    ANTHROPIC_MODEL: model,
    ANTHROPIC_SMALL_FAST_MODEL: model,
    ANTHROPIC_DEFAULT_HAIKU_MODEL: model,
    ANTHROPIC_DEFAULT_SONNET_MODEL: model,
    ANTHROPIC_DEFAULT_OPUS_MODEL: model,
    CLAUDE_CODE_SUBAGENT_MODEL: model,
    // No telemetry, update checks, error reports or other traffic that is not a model call.
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_TELEMETRY: "1",
    DISABLE_AUTOUPDATER: "1",
    DISABLE_ERROR_REPORTING: "1",
    DISABLE_BUG_COMMAND: "1",
    // LAP's sandbox is the isolation boundary; this lets bypassPermissions run as root in it.
    IS_SANDBOX: "1",
    // MCP tools in the request itself, not behind ToolSearch's deferred-tool references, which only
    // some Anthropic models understand (the gateway may route the agent's model anywhere).
    ENABLE_TOOL_SEARCH: "false",
    // Pre-started (harness/supervisor/binding.ts): its MCP connections wait for the bind.
    ...(config.mcpStartTimeoutMs ? { MCP_TIMEOUT: String(config.mcpStartTimeoutMs) } : {}),
  });
}

/** `--mcp-config` content: every server over streamable HTTP at LAP's proxy, with the session key. */
export function claudeMcpConfig(config: HarnessConfig): {
  mcpServers: Record<string, { type: "http"; url: string; headers: Record<string, string> }>;
} {
  return {
    mcpServers: Object.fromEntries(
      (config.mcpServers ?? []).map((s) => [
        s.name,
        { type: "http" as const, url: s.url, headers: { Authorization: `Bearer ${config.apiKey}` } },
      ]),
    ),
  };
}

export class ClaudeCodeAdapter implements HarnessAdapter {
  readonly name = "claude-code" as const;
  conversationId: string | undefined;
  private readonly turns: CliTurns;
  /** The agent's approval-required tools; when there are none the CLI never asks. */
  private readonly approvalTools: ReadonlySet<string>;
  /**
   * Tool calls the CLI waits on a person for (LAP's turn ended with requires_action), oldest first.
   * More than one when Claude Code checks parallel calls (read-only tools) at once.
   */
  private pending: PermissionRequest[] = [];
  /** A call just answered while others still wait: the turn ends requires_action once its result is in. */
  private answeredWhileWaiting: string | undefined;
  /**
   * A model response is still streaming. Claude Code checks a tool's permission as soon as its block
   * is complete, before the response's later tool calls are out, so the turn waits for those first.
   */
  private streaming = false;
  /**
   * One entry per CLI turn LAP ended by refusing a waiting call (a new message, an interrupt): that
   * turn's `result` is not the end of a LAP turn, and the entry runs when it arrives.
   */
  private afterRefusal: Array<() => void> = [];
  /** The `initialize` control request a warm-up waits on (warmUp). */
  private initialized: { id: string; resolve: () => void } | undefined;
  private readonly retries = new RetriedResponses();

  constructor(private readonly config: HarnessConfig) {
    this.conversationId = config.resumeId;
    this.turns = new CliTurns("claude", config);
    this.approvalTools = new Set(config.approvalRequiredTools ?? []);
  }

  private get asksForApproval(): boolean {
    return this.approvalTools.size > 0;
  }

  async start(): Promise<void> {
    this.ensureProcess();
  }

  /** The CLI's process id while it runs (health checks, tests). */
  pid(): number | undefined {
    return this.turns.cli?.proc.pid;
  }

  private ensureProcess(): CliProcess {
    if (this.turns.cli) return this.turns.cli;
    const binary = this.config.binary ?? harnessBinary("claude-code");
    const cmd = [
      binary,
      "-p",
      "--input-format",
      "stream-json",
      "--output-format",
      "stream-json",
      "--verbose",
      "--include-partial-messages",
      "--model",
      this.config.model,
      "--dangerously-skip-permissions",
      ...(this.asksForApproval
        ? ["--permission-prompt-tool", "stdio", "--settings", JSON.stringify({ permissions: { ask: claudeAskRules(this.approvalTools) } })]
        : []),
      ...(this.config.mcpServers?.length ? ["--mcp-config", this.writeMcpConfig(), "--strict-mcp-config"] : []),
      ...(this.config.systemPrompt ? ["--append-system-prompt", this.config.systemPrompt] : []),
      ...(this.conversationId ? ["--resume", this.conversationId] : []),
    ];
    const cli = spawnCli({ cmd, cwd: this.config.workspace, env: claudeCodeEnv(this.config), onLine: (line) => this.onLine(line) });
    this.turns.cli = cli;
    void cli.exited.then((code) => {
      // A waiting call dies with its process; a decision on it then finds nothing to answer.
      this.pending = [];
      this.answeredWhileWaiting = undefined;
      this.streaming = false;
      this.afterRefusal = [];
      this.turns.exited(cli, code);
    });
    return cli;
  }

  /**
   * The agent's MCP servers for `--mcp-config`, as a file in the harness home (0600): the session key
   * is in it (Claude Code has no env reference for headers here), the upstream credentials are not.
   */
  private writeMcpConfig(): string {
    const file = join(this.config.home, "lap-mcp.json");
    writeFileSync(file, JSON.stringify(claudeMcpConfig(this.config)), { mode: 0o600 });
    return file;
  }

  /**
   * Warm pre-start: Claude Code prints nothing until it is spoken to; its answer to stream JSON's
   * `initialize` control request (what the Agent SDK sends first) means it has loaded and initialized.
   */
  async warmUp(): Promise<void> {
    const cli = this.ensureProcess();
    const id = `lap-warm-${Date.now()}`;
    const answered = new Promise<void>((resolve) => {
      this.initialized = { id, resolve };
    });
    cli.write(JSON.stringify({ type: "control_request", request_id: id, request: { subtype: "initialize" } }));
    const exited = cli.exited.then((code) => {
      throw new Error(`claude exited while starting (code ${code}): ${cli.stderrTail().slice(-300)}`);
    });
    await Promise.race([answered, exited, Bun.sleep(WARM_UP_MS)]);
    this.initialized = undefined;
  }

  private onLine(line: string): void {
    if (this.initialized && line.includes(this.initialized.id) && line.includes('"control_response"')) {
      this.initialized.resolve();
      return;
    }
    const request = this.asksForApproval ? parsePermissionRequest(line) : undefined;
    if (request) {
      this.onPermissionRequest(request);
      return;
    }
    const cancelled = this.asksForApproval ? parseCancelRequest(line) : undefined;
    if (cancelled) {
      this.pending = this.pending.filter((p) => p.requestId !== cancelled);
      return;
    }
    const translated = translateClaudeLine(line, {
      interrupted: this.turns.interrupted,
      model: this.config.model,
      permission: this.asksForApproval ? (name) => (needsApproval(name, this.approvalTools) ? "ask" : "allow") : undefined,
    });
    if (translated.sessionId) this.conversationId = translated.sessionId;
    if (translated.streaming !== undefined || translated.turnEnded) {
      this.streaming = translated.streaming ?? false;
      if (!this.streaming) this.endTurnWaiting();
    }
    if (translated.turnEnded && this.afterRefusal.length) {
      this.afterRefusal.shift()!();
      return;
    }
    for (const event of [...(translated.retry ? this.retries.retried(translated.retry) : []), ...translated.events]) {
      this.retries.seen(event);
      this.turns.turn?.emit(event);
      if (event.type === "agent.tool_result" && event.tool_use_id === this.answeredWhileWaiting) {
        this.answeredWhileWaiting = undefined;
        this.endTurnWaiting();
      }
    }
  }

  /** Ends LAP's turn with requires_action for every waiting call (Managed Agents: one decision each). */
  private endTurnWaiting(): void {
    if (this.pending.length && !this.answeredWhileWaiting && !this.streaming)
      this.turns.turn?.emit(ev.requiresAction(this.pending.map((p) => p.toolUseId)));
  }

  /** A listed tool waits for `confirm` and ends LAP's turn meanwhile; anything else asked about runs at once. */
  private onPermissionRequest(request: PermissionRequest): void {
    const cli = this.turns.cli;
    if (!cli) return;
    if (!needsApproval(request.toolName, this.approvalTools)) {
      cli.write(allowResponse(request));
      return;
    }
    this.pending.push(request);
    this.endTurnWaiting();
  }

  /** Refuses every waiting call and ends the CLI's turn; `then` runs once that turn has ended. */
  private refusePending(cli: CliProcess, reason: string, then: () => void): void {
    const timer = setTimeout(() => cli.kill("SIGKILL"), REFUSAL_GRACE_MS);
    this.afterRefusal.push(() => {
      clearTimeout(timer);
      then();
    });
    this.denyAll(cli, reason);
  }

  /** Denies every waiting call; the last refusal carries `interrupt`, so the CLI ends its turn after answering all. */
  private denyAll(cli: CliProcess, reason: string): void {
    const waiting = this.pending.splice(0);
    this.answeredWhileWaiting = undefined;
    waiting.forEach((request, i) => cli.write(denyResponse(request, reason, i === waiting.length - 1)));
  }

  async send(text: string, onEvent?: (event: HarnessEvent) => void, attachments: Attachment[] = []): Promise<TurnResult> {
    const { turn, prompt } = this.turns.begin(text, onEvent);
    try {
      const cli = this.ensureProcess();
      // Attachments as Anthropic content blocks in the stream-json input (docs/sessions.md "Attachments").
      const blocks = attachments.map((a) => ({
        type: a.kind,
        source: { type: "base64", media_type: a.mediaType, data: a.data },
        ...(a.kind === "document" && a.title ? { title: a.title } : {}),
      }));
      const message = JSON.stringify({
        type: "user",
        message: { role: "user", content: [...(prompt ? [{ type: "text", text: prompt }] : []), ...blocks] },
      });
      // A message instead of a decision refuses the waiting calls (as the built-in harness does). It is
      // sent once the CLI's interrupted turn has ended, so that it starts a turn of its own.
      if (this.pending.length)
        this.refusePending(cli, "Not run: the user sent a new message instead of deciding on this tool call.", () => cli.write(message));
      else cli.write(message);
    } catch (error) {
      this.turns.fail("harness_start_failed", `claude could not start: ${(error as Error).message}`);
    }
    return this.turns.result(turn);
  }

  async confirm(confirmation: ToolConfirmation, onEvent?: (event: HarnessEvent) => void): Promise<TurnResult> {
    const turn = this.turns.open(onEvent);
    const index = this.pending.findIndex((p) => p.toolUseId === confirmation.tool_use_id);
    const cli = this.turns.cli;
    if (index < 0 || !cli) {
      this.turns.fail("harness_failed", `no tool call ${confirmation.tool_use_id} is waiting for a decision`);
    } else {
      // The same CLI process carries on; what it does next streams into this turn.
      const [waiting] = this.pending.splice(index, 1) as [PermissionRequest];
      if (this.pending.length) this.answeredWhileWaiting = waiting.toolUseId;
      cli.write(confirmation.result === "allow" ? allowResponse(waiting) : denyResponse(waiting, denialMessage(confirmation.deny_message)));
    }
    return this.turns.result(turn);
  }

  async interrupt(): Promise<void> {
    const cli = this.turns.cli;
    if (this.pending.length && cli && (!this.turns.turn || this.turns.turn.finished)) {
      // No LAP turn is running while calls wait: the interrupt refuses them and the CLI's turn ends quietly.
      this.refusePending(cli, "Not run: the user interrupted the session.", () => undefined);
      return;
    }
    // Claude Code's stream-JSON control protocol: the turn ends with a `result` record. Calls still
    // waiting (a confirmation turn running while parallel calls wait) are refused the same way.
    await this.turns.interrupt((running) => {
      if (this.pending.length) this.denyAll(running, "Not run: the user interrupted the turn.");
      else
        running.write(
          JSON.stringify({ type: "control_request", request_id: `interrupt-${Date.now()}`, request: { subtype: "interrupt" } }),
        );
    }, INTERRUPT_GRACE_MS);
  }

  async stop(): Promise<void> {
    await this.turns.stop();
  }
}
