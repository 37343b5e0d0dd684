// Codex as a LAP harness: one `codex exec --json` process per turn; turns after the first run
// `codex exec resume <thread id>`, so Codex keeps its own conversation (its rollout files live in
// CODEX_HOME under the session's home). The model provider is LAP's gateway (/v1, Responses API)
// with the session key read from an env var, and the agent's model is pinned in config.toml.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { baseEnv, harnessBinary } from "../binaries.ts";
import { type CliProcess, spawnCli, TurnRecorder } from "../process.ts";
import { events as ev, type HarnessAdapter, type HarnessConfig, type HarnessEvent, type McpEndpoint, type TurnResult, withHistory } from "../types.ts";
import { CodexTranslator } from "./translate.ts";

const KEY_ENV = "LAP_GATEWAY_KEY";

/** TOML string literal (JSON escaping is valid TOML basic-string escaping for these values). */
const toml = (value: string) => JSON.stringify(value);

export function codexConfigToml(config: HarnessConfig): string {
  return [
    `model = ${toml(config.model)}`,
    `model_provider = "lap"`,
    // Summaries and compaction use the same model; nothing here may name another one.
    `review_model = ${toml(config.model)}`,
    `check_for_update_on_startup = false`,
    `web_search = "disabled"`,
    ``,
    `[model_providers.lap]`,
    `name = "LAP gateway"`,
    `base_url = ${toml(`${config.gatewayUrl.replace(/\/$/, "")}/v1`)}`,
    `env_key = "${KEY_ENV}"`,
    `wire_api = "responses"`,
    ``,
    `[analytics]`,
    `enabled = false`,
    ``,
    ...codexMcpToml(config.mcpServers ?? []),
  ].join("\n");
}

/**
 * The agent's MCP servers as Codex streamable-HTTP servers (`url` + `bearer_token_env_var`, supported
 * since Codex 0.4x): LAP's proxy URL, the session key read from the environment, never written out.
 */
export function codexMcpToml(servers: McpEndpoint[]): string[] {
  return servers.flatMap((s) => [`[mcp_servers.${toml(s.name)}]`, `url = ${toml(s.url)}`, `bearer_token_env_var = "${KEY_ENV}"`, ``]);
}

export class CodexAdapter implements HarnessAdapter {
  readonly name = "codex" as const;
  conversationId: string | undefined;
  private cli: CliProcess | undefined;
  private turn: TurnRecorder | undefined;
  private interrupted = false;
  private historyPending: boolean;
  private readonly codexHome: string;

  constructor(private readonly config: HarnessConfig) {
    this.conversationId = config.resumeId;
    this.historyPending = Boolean(config.history?.length) && !config.resumeId;
    this.codexHome = join(config.home, ".codex");
  }

  private configured = false;

  async start(): Promise<void> {
    this.configured = true;
    mkdirSync(this.codexHome, { recursive: true });
    writeFileSync(join(this.codexHome, "config.toml"), codexConfigToml(this.config), { mode: 0o600 });
  }

  pid(): number | undefined {
    return this.cli?.proc.pid;
  }

  async send(text: string, onEvent?: (event: HarnessEvent) => void): Promise<TurnResult> {
    if (this.turn && !this.turn.finished) throw new Error("codex: a turn is already running");
    const turn = new TurnRecorder(onEvent);
    this.turn = turn;
    this.interrupted = false;
    turn.emit({ type: "session.status_running" });
    const prompt = this.historyPending ? withHistory(text, this.config.history) : text;
    this.historyPending = false;
    if (!this.configured) await this.start();
    const translator = new CodexTranslator(this.config.model);
    const common = ["--json", "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox", "-m", this.config.model];
    const cmd = [
      this.config.binary ?? harnessBinary("codex"),
      "exec",
      ...(this.conversationId ? ["resume", ...common, this.conversationId] : ["-C", this.config.workspace, ...common]),
      "--",
      prompt,
    ];
    try {
      const cli = spawnCli({
        cmd,
        cwd: this.config.workspace,
        env: baseEnv(this.config.home, { ...this.config.env, CODEX_HOME: this.codexHome, [KEY_ENV]: this.config.apiKey }),
        onLine: (line) => {
          const translated = translator.translate(line);
          if (translated.threadId) this.conversationId = translated.threadId;
          for (const event of translated.events) turn.emit(event);
        },
      });
      cli.proc.stdin.end(); // codex exec reads extra prompt input from stdin until EOF
      this.cli = cli;
      void cli.exited.then((code) => {
        if (this.cli === cli) this.cli = undefined;
        if (turn.finished) return;
        if (this.interrupted) turn.emit(ev.idle("interrupted"));
        else {
          const stderr = cli.stderrTail();
          turn.emit({ type: "session.error", error: { code: "harness_crashed", message: `codex exited mid-turn (code ${code})${stderr ? `: ${stderr.slice(-500)}` : ""}` } });
        }
      });
    } catch (error) {
      turn.emit(ev.error("harness_start_failed", `codex could not start: ${(error as Error).message}`));
    }
    const outcome = await turn.done;
    return { outcome, events: turn.events };
  }

  async interrupt(): Promise<void> {
    const turn = this.turn;
    const cli = this.cli;
    if (!turn || turn.finished || !cli) return;
    this.interrupted = true;
    // Ctrl-C: codex exec aborts the turn and exits; the thread stays resumable.
    cli.kill("SIGINT");
    const timer = setTimeout(() => cli.kill("SIGKILL"), 5_000);
    await turn.done;
    clearTimeout(timer);
  }

  async stop(): Promise<void> {
    const cli = this.cli;
    if (!cli) return;
    cli.kill("SIGTERM");
    await cli.exited;
  }
}
