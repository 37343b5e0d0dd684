// Claude Code as a LAP harness: one long-lived `claude -p` process in stream-JSON mode per session,
// so the CLI keeps its own conversation across turns; if it dies, the next turn restarts it with
// `--resume <session id>`. Every model call goes to LAP's gateway (/v1/messages) under the session key,
// and every model slot Claude Code has (main, small/fast, haiku/sonnet/opus aliases, sub-agents) is
// pinned to the agent's model so nothing silently falls back to another model.
//
// Tool approvals: with approval-required tools the CLI runs in its default permission mode and asks
// LAP about every tool over stream JSON (`--permission-prompt-tool stdio`, permissions.ts). Tools not
// listed are allowed at once; a listed one ends LAP's turn with `requires_action` while the CLI waits,
// and the `tool_confirmation` turn answers it, so the same process carries on.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { baseEnv, harnessBinary } from "../binaries.ts";
import { CliTurns } from "../cli-turns.ts";
import { type CliProcess, spawnCli } from "../process.ts";
import { events as ev, type HarnessAdapter, type HarnessConfig, type HarnessEvent, type ToolConfirmation, type TurnResult } from "../types.ts";
import { allowResponse, denialMessage, denyResponse, needsApproval, type PermissionRequest, parsePermissionRequest } from "./permissions.ts";
import { translateClaudeLine } from "./translate.ts";

/** If Claude Code does not end the turn this long after an interrupt request, it is killed. */
const INTERRUPT_GRACE_MS = 5_000;

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
  });
}

/** `--mcp-config` content: every server over streamable HTTP at LAP's proxy, with the session key. */
export function claudeMcpConfig(config: HarnessConfig): { mcpServers: Record<string, { type: "http"; url: string; headers: Record<string, string> }> } {
  return {
    mcpServers: Object.fromEntries(
      (config.mcpServers ?? []).map((s) => [s.name, { type: "http" as const, url: s.url, headers: { Authorization: `Bearer ${config.apiKey}` } }]),
    ),
  };
}

export class ClaudeCodeAdapter implements HarnessAdapter {
  readonly name = "claude-code" as const;
  conversationId: string | undefined;
  private readonly turns: CliTurns;
  /** The agent's approval-required tools; when there are none the CLI never asks. */
  private readonly approvalTools: ReadonlySet<string>;
  /** The tool call the CLI waits on a person for (LAP's turn ended with requires_action). */
  private pending: PermissionRequest | undefined;
  /**
   * One entry per CLI turn LAP ended by refusing a waiting call (a new message, an interrupt): that
   * turn's `result` is not the end of a LAP turn, and the entry runs when it arrives.
   */
  private afterRefusal: Array<() => void> = [];

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
      binary, "-p",
      "--input-format", "stream-json",
      "--output-format", "stream-json",
      "--verbose",
      "--include-partial-messages",
      "--model", this.config.model,
      ...(this.asksForApproval ? ["--permission-mode", "default", "--permission-prompt-tool", "stdio"] : ["--dangerously-skip-permissions"]),
      ...(this.config.mcpServers?.length ? ["--mcp-config", this.writeMcpConfig(), "--strict-mcp-config"] : []),
      ...(this.conversationId ? ["--resume", this.conversationId] : []),
    ];
    const cli = spawnCli({ cmd, cwd: this.config.workspace, env: claudeCodeEnv(this.config), onLine: (line) => this.onLine(line) });
    this.turns.cli = cli;
    void cli.exited.then((code) => {
      // A waiting call dies with its process; a decision on it then finds nothing to answer.
      this.pending = undefined;
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

  private onLine(line: string): void {
    const request = this.asksForApproval ? parsePermissionRequest(line) : undefined;
    if (request) return this.onPermissionRequest(request);
    const translated = translateClaudeLine(line, {
      interrupted: this.turns.interrupted,
      model: this.config.model,
      permission: this.asksForApproval ? (name) => (needsApproval(name, this.approvalTools) ? "ask" : "allow") : undefined,
    });
    if (translated.sessionId) this.conversationId = translated.sessionId;
    if (translated.turnEnded && this.afterRefusal.length) {
      this.afterRefusal.shift()!();
      return;
    }
    for (const event of translated.events) this.turns.turn?.emit(event);
  }

  /** Tools not listed run at once; a listed one waits for `confirm` and ends LAP's turn meanwhile. */
  private onPermissionRequest(request: PermissionRequest): void {
    const cli = this.turns.cli;
    if (!cli) return;
    if (!needsApproval(request.toolName, this.approvalTools)) {
      cli.write(allowResponse(request));
      return;
    }
    this.pending = request;
    this.turns.turn?.emit(ev.requiresAction([request.toolUseId]));
  }

  /** Refuses the waiting call and ends the CLI's turn; `then` runs once that turn has ended. */
  private refusePending(cli: CliProcess, request: PermissionRequest, reason: string, then: () => void): void {
    this.pending = undefined;
    this.afterRefusal.push(then);
    cli.write(denyResponse(request, reason, true));
  }

  async send(text: string, onEvent?: (event: HarnessEvent) => void): Promise<TurnResult> {
    const { turn, prompt } = this.turns.begin(text, onEvent);
    try {
      const cli = this.ensureProcess();
      const message = JSON.stringify({ type: "user", message: { role: "user", content: [{ type: "text", text: prompt }] } });
      const waiting = this.pending;
      // A message instead of a decision refuses the call (as the built-in harness does). It is sent
      // once the CLI's interrupted turn has ended, so that it starts a turn of its own.
      if (waiting) this.refusePending(cli, waiting, "Not run: the user sent a new message instead of deciding on this tool call.", () => cli.write(message));
      else cli.write(message);
    } catch (error) {
      this.turns.fail("harness_start_failed", `claude could not start: ${(error as Error).message}`);
    }
    return this.turns.result(turn);
  }

  async confirm(confirmation: ToolConfirmation, onEvent?: (event: HarnessEvent) => void): Promise<TurnResult> {
    const turn = this.turns.open(onEvent);
    const waiting = this.pending;
    const cli = this.turns.cli;
    if (!waiting || !cli || waiting.toolUseId !== confirmation.tool_use_id) {
      this.turns.fail("harness_failed", `no tool call ${confirmation.tool_use_id} is waiting for a decision`);
    } else {
      // The same CLI process carries on; what it does next streams into this turn.
      this.pending = undefined;
      cli.write(confirmation.result === "allow" ? allowResponse(waiting) : denyResponse(waiting, denialMessage(confirmation.deny_message)));
    }
    return this.turns.result(turn);
  }

  async interrupt(): Promise<void> {
    const waiting = this.pending;
    const cli = this.turns.cli;
    if (waiting && cli && (!this.turns.turn || this.turns.turn.finished)) {
      // No LAP turn is running while a call waits: the interrupt refuses the call and the CLI's turn ends quietly.
      this.refusePending(cli, waiting, "Not run: the user interrupted the session.", () => undefined);
      return;
    }
    // Claude Code's stream-JSON control protocol: the turn ends with a `result` record.
    await this.turns.interrupt(
      (cli) => cli.write(JSON.stringify({ type: "control_request", request_id: `interrupt-${Date.now()}`, request: { subtype: "interrupt" } })),
      INTERRUPT_GRACE_MS,
    );
  }

  async stop(): Promise<void> {
    await this.turns.stop();
  }
}
