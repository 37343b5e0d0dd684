// Codex as a LAP harness: one long-lived `codex app-server` per session, driven over its JSON-RPC
// protocol (initialize → thread/start or thread/resume → turn/start per message, turn/interrupt).
// Unlike `codex exec --json`, the app server streams replies and reasoning as deltas and reports
// each file change with its diff. Codex keeps its own conversation (rollout files in CODEX_HOME
// under the session's home); after a crash the next turn resumes the thread in a new process.
// The model provider is LAP's gateway (/v1, Responses API) with the session key read from an env
// var, and the agent's model is pinned in config.toml and on the thread.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { baseEnv, harnessBinary } from "../binaries.ts";
import { CliTurns } from "../cli-turns.ts";
import { type CliProcess, spawnCli } from "../process.ts";
import type { HarnessAdapter, HarnessConfig, HarnessEvent, McpEndpoint, TurnResult } from "../types.ts";
import { JsonRpc, type Notification, RpcError } from "./rpc.ts";
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
    `approval_policy = "never"`,
    `sandbox_mode = "danger-full-access"`,
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
  private readonly turns: CliTurns;
  private readonly rpc = new JsonRpc((notification) => this.onNotification(notification));
  private readonly codexHome: string;
  /** Resolves once the current process has a thread (initialize + thread/start or resume). */
  private ready: Promise<void> | undefined;
  private translator: CodexTranslator | undefined;
  private turnId: string | undefined;

  constructor(private readonly config: HarnessConfig) {
    this.conversationId = config.resumeId;
    this.turns = new CliTurns("codex", config);
    this.codexHome = join(config.home, ".codex");
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
    const thread = { model: this.config.model, modelProvider: "lap", cwd: this.config.workspace, approvalPolicy: "never", sandbox: "danger-full-access" };
    const opened = this.conversationId
      ? await this.rpc.request<{ thread: { id: string } }>("thread/resume", { threadId: this.conversationId, ...thread })
      : await this.rpc.request<{ thread: { id: string } }>("thread/start", thread);
    this.conversationId = opened.thread.id;
  }

  private onExit(cli: CliProcess, code: number): void {
    // Only the current process's exit touches the protocol state (a replaced one may exit late).
    if (this.turns.cli === cli) {
      this.ready = undefined;
      this.rpc.closed(new RpcError("codex", `app-server exited (code ${code})`));
    }
    this.turns.exited(cli, code);
  }

  private onNotification(notification: Notification): void {
    const turn = this.turns.turn;
    const translator = this.translator;
    if (!turn || turn.finished || !translator) return;
    if (notification.params.threadId !== undefined && notification.params.threadId !== this.conversationId) return;
    const translated = translator.translate(notification);
    if (translated.turnId) this.turnId = translated.turnId;
    for (const event of translated.events) turn.emit(event);
  }

  async send(text: string, onEvent?: (event: HarnessEvent) => void): Promise<TurnResult> {
    const { turn, prompt } = this.turns.begin(text, onEvent);
    this.translator = new CodexTranslator(this.config.model);
    this.turnId = undefined;
    try {
      await this.ensureThread();
      const started = await this.rpc.request<{ turn: { id: string } }>("turn/start", {
        threadId: this.conversationId,
        input: [{ type: "text", text: prompt, text_elements: [] }],
        model: this.config.model,
      });
      this.turnId ??= started.turn.id;
    } catch (error) {
      // A process that died has already ended the turn as a crash (onExit); this is then a no-op.
      this.turns.fail("harness_start_failed", `codex could not start the turn: ${(error as Error).message}`);
    }
    return this.turns.result(turn);
  }

  async interrupt(): Promise<void> {
    await this.turns.interrupt(() => {
      if (!this.turnId) return; // not started yet: the grace timer kills the process
      this.rpc.request("turn/interrupt", { threadId: this.conversationId, turnId: this.turnId }).catch(() => undefined);
    });
  }

  async stop(): Promise<void> {
    await this.turns.stop();
  }
}
