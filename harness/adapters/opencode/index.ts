// opencode as a LAP harness: `opencode serve` on loopback inside the sandbox, one opencode session
// per LAP session (its SQLite store lives in the session's home, so a restarted server resumes the
// same session). LAP's gateway is the only provider (OpenAI-compatible, /v1/chat/completions), and
// the agent's model is pinned as model, small_model and the model of every built-in agent, so titles,
// summaries and compaction never use anything else.
import { randomBytes } from "node:crypto";
import { baseEnv, harnessBinary } from "../binaries.ts";
import { type CliProcess, spawnCli, TurnRecorder } from "../process.ts";
import { events as ev, type HarnessAdapter, type HarnessConfig, type HarnessEvent, type McpEndpoint, type TurnResult, withHistory } from "../types.ts";
import { OpencodeTranslator, readSse } from "./translate.ts";

const PROVIDER = "lap";
const KEY_ENV = "LAP_GATEWAY_KEY";
// opencode (a 185 MB compiled Bun program) takes 5-40 s to boot on a busy 2-core machine.
const START_TIMEOUT_MS = 90_000;

export function opencodeConfig(config: HarnessConfig): Record<string, unknown> {
  const model = `${PROVIDER}/${config.model}`;
  return {
    $schema: "https://opencode.ai/config.json",
    autoupdate: false,
    share: "disabled",
    // The sandbox is the boundary: nobody is at opencode's prompt to answer "ask" (a bash command
    // touching /tmp would otherwise wait forever for external_directory approval).
    permission: "allow",
    // Only LAP's gateway: no built-in or free providers to fall back to.
    enabled_providers: [PROVIDER],
    provider: {
      [PROVIDER]: {
        npm: "@ai-sdk/openai-compatible",
        name: "LAP gateway",
        // The key stays in the environment, not in a config file on disk.
        options: { baseURL: `${config.gatewayUrl.replace(/\/$/, "")}/v1`, apiKey: `{env:${KEY_ENV}}` },
        models: { [config.model]: { name: config.model } },
      },
    },
    model,
    small_model: model,
    agent: Object.fromEntries(["build", "plan", "general", "title", "summary", "compaction"].map((name) => [name, { model }])),
    ...(config.mcpServers?.length ? { mcp: opencodeMcp(config.mcpServers) } : {}),
  };
}

/**
 * The agent's MCP servers as opencode remote servers: LAP's proxy URL, the session key by env
 * reference (never written out), and no OAuth discovery (LAP holds the upstream credentials).
 */
export function opencodeMcp(servers: McpEndpoint[]): Record<string, unknown> {
  return Object.fromEntries(
    servers.map((s) => [s.name, { type: "remote", url: s.url, enabled: true, oauth: false, headers: { Authorization: `Bearer {env:${KEY_ENV}}` } }]),
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

  constructor(private readonly config: HarnessConfig) {
    this.conversationId = config.resumeId;
    this.historyPending = Boolean(config.history?.length) && !config.resumeId;
    this.translator = new OpencodeTranslator(() => this.conversationId, config.model);
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
    const cli = spawnCli({
      cmd: [this.config.binary ?? harnessBinary("opencode"), "serve", "--hostname", "127.0.0.1", "--port", String(port)],
      cwd: this.config.workspace,
      env: baseEnv(this.config.home, {
        ...this.config.env,
        [KEY_ENV]: this.config.apiKey,
        OPENCODE_CONFIG_CONTENT: JSON.stringify(opencodeConfig(this.config)),
        OPENCODE_SERVER_USERNAME: "lap",
        OPENCODE_SERVER_PASSWORD: this.password,
        OPENCODE_DISABLE_AUTOUPDATE: "1",
        OPENCODE_DISABLE_MODELS_FETCH: "1",
        OPENCODE_DISABLE_LSP_DOWNLOAD: "1",
        OPENCODE_DISABLE_SHARE: "1",
        OPENCODE_DISABLE_CLAUDE_CODE: "1",
        OPENCODE_DISABLE_EMBEDDED_WEB_UI: "1",
        OPENCODE_DISABLE_DEFAULT_PLUGINS: "1",
        OPENCODE_EXPERIMENTAL_DISABLE_FILEWATCHER: "1",
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
    const events = this.translator.translate(event);
    for (const normalized of events) this.turn?.emit(normalized);
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
    const turn = this.turn;
    if (!turn || turn.finished) return;
    turn.emit(ev.error("harness_crashed", `opencode serve exited mid-turn (code ${code})${cli.stderrTail() ? `: ${cli.stderrTail().slice(-500)}` : ""}`));
  }

  async send(text: string, onEvent?: (event: HarnessEvent) => void): Promise<TurnResult> {
    if (this.turn && !this.turn.finished) throw new Error("opencode: a turn is already running");
    const turn = new TurnRecorder(onEvent);
    this.turn = turn;
    this.translator.interrupted = false;
    turn.emit({ type: "session.status_running" });
    const prompt = this.historyPending ? withHistory(text, this.config.history) : text;
    this.historyPending = false;
    try {
      await this.start(); // restarts the server after a crash; the session comes back from its store
      const response = await this.api(`/session/${this.conversationId}/prompt_async`, {
        method: "POST",
        body: JSON.stringify({ parts: [{ type: "text", text: prompt }], model: { providerID: PROVIDER, modelID: this.config.model } }),
      });
      if (!response.ok) throw new Error(`prompt rejected (HTTP ${response.status}): ${(await response.text()).slice(0, 300)}`);
    } catch (error) {
      turn.emit(ev.error("harness_start_failed", `opencode: ${(error as Error).message}`));
    }
    const outcome = await turn.done;
    return { outcome, events: turn.events };
  }

  async interrupt(): Promise<void> {
    const turn = this.turn;
    if (!turn || turn.finished || !this.cli) return;
    this.translator.interrupted = true;
    await this.api(`/session/${this.conversationId}/abort`, { method: "POST" }).catch(() => undefined);
    const timer = setTimeout(() => turn.emit(ev.idle("interrupted")), 10_000);
    await turn.done;
    clearTimeout(timer);
  }

  async stop(): Promise<void> {
    const cli = this.cli;
    this.events?.abort();
    if (!cli) return;
    this.cli = undefined;
    cli.kill("SIGTERM");
    const timer = setTimeout(() => cli.kill("SIGKILL"), 3_000);
    await cli.exited;
    clearTimeout(timer);
  }
}
