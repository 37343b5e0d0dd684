// Claude Code as a LAP harness: one long-lived `claude -p` process in stream-JSON mode per session,
// so the CLI keeps its own conversation across turns; if it dies, the next turn restarts it with
// `--resume <session id>`. Every model call goes to LAP's gateway (/v1/messages) under the session key,
// and every model slot Claude Code has (main, small/fast, haiku/sonnet/opus aliases, sub-agents) is
// pinned to the agent's model so nothing silently falls back to another model.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { baseEnv, harnessBinary } from "../binaries.ts";
import { CliTurns } from "../cli-turns.ts";
import { type CliProcess, spawnCli } from "../process.ts";
import type { HarnessAdapter, HarnessConfig, HarnessEvent, TurnResult } from "../types.ts";
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

  constructor(private readonly config: HarnessConfig) {
    this.conversationId = config.resumeId;
    this.turns = new CliTurns("claude", config);
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
      "--dangerously-skip-permissions",
      ...(this.config.mcpServers?.length ? ["--mcp-config", this.writeMcpConfig(), "--strict-mcp-config"] : []),
      ...(this.conversationId ? ["--resume", this.conversationId] : []),
    ];
    const cli = spawnCli({ cmd, cwd: this.config.workspace, env: claudeCodeEnv(this.config), onLine: (line) => this.onLine(line) });
    this.turns.cli = cli;
    void cli.exited.then((code) => this.turns.exited(cli, code));
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
    const translated = translateClaudeLine(line, { interrupted: this.turns.interrupted, model: this.config.model });
    if (translated.sessionId) this.conversationId = translated.sessionId;
    for (const event of translated.events) this.turns.turn?.emit(event);
  }

  async send(text: string, onEvent?: (event: HarnessEvent) => void): Promise<TurnResult> {
    const { turn, prompt } = this.turns.begin(text, onEvent);
    try {
      const cli = this.ensureProcess();
      cli.write(JSON.stringify({ type: "user", message: { role: "user", content: [{ type: "text", text: prompt }] } }));
    } catch (error) {
      this.turns.fail("harness_start_failed", `claude could not start: ${(error as Error).message}`);
    }
    return this.turns.result(turn);
  }

  async interrupt(): Promise<void> {
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
