// DeepAgents (the `deepagents` npm package: LangChain's agent harness on LangGraph JS) as a LAP
// harness. DeepAgents is a library, not a CLI, so the "CLI" is runner.ts: one long-lived process
// per session, started with Bun under the name `deepagents`, holding the deep agent and its LangGraph
// thread; this adapter drives it over JSON lines exactly as the Codex and Claude Code adapters drive
// theirs (cli-turns.ts): one turn at a time, interrupt with a kill after a grace period, a crash
// ending the turn with harness_crashed and the next turn starting a new process that reloads the
// thread from its checkpoint file under the harness home.
//
// Tool approvals: DeepAgents' human-in-the-loop middleware (`interruptOn`) stops the graph before a
// listed tool runs; the runner ends LAP's turn `requires_action` and resumes the graph with the
// person's decisions (docs/approvals.md).
import type { Attachment } from "../attachments.ts";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { contextLayout } from "../../context.ts";
import { baseEnv } from "../binaries.ts";
import { CliTurns } from "../cli-turns.ts";
import { type CliProcess, spawnCli } from "../process.ts";
import type { HarnessAdapter, HarnessConfig, HarnessEvent, ToolConfirmation, TurnResult } from "../types.ts";
import { RUNNER_READY, type RunnerCommand, type RunnerConfig } from "./runner-protocol.ts";

/** The process's name (argv[0]): what `ps` shows, and what LAP's tests look for. */
export const DEEPAGENTS_PROCESS = "deepagents";
const THREAD = "lap-session";
const RUNNER = join(import.meta.dir, "runner.ts");

export class DeepAgentsAdapter implements HarnessAdapter {
  readonly name = "deepagents" as const;
  /** Resolves a warm-up once the runner says it is ready. */
  private ready: (() => void) | undefined;
  conversationId: string | undefined;
  private readonly turns: CliTurns;
  private readonly stateFile: string;

  constructor(private readonly config: HarnessConfig) {
    this.conversationId = config.resumeId;
    this.turns = new CliTurns(DEEPAGENTS_PROCESS, config);
    this.stateFile = join(config.home, "deepagents-thread.json");
  }

  pid(): number | undefined {
    return this.turns.cli?.proc.pid;
  }

  async start(): Promise<void> {
    this.ensureProcess();
  }

  /** Warm pre-start: the runner says when LangChain and DeepAgents are loaded (runner.ts; the agent is built at the first turn). */
  async warmUp(): Promise<void> {
    const cli = this.ensureProcess();
    const ready = new Promise<void>((resolve) => {
      this.ready = resolve;
    });
    const exited = cli.exited.then((code) => {
      throw new Error(`deepagents exited while starting (code ${code}): ${cli.stderrTail().slice(-300)}`);
    });
    await Promise.race([ready, exited, Bun.sleep(60_000)]);
    this.ready = undefined;
  }

  private ensureProcess(): CliProcess {
    if (this.turns.cli) return this.turns.cli;
    mkdirSync(this.config.home, { recursive: true });
    const shellEnv = baseEnv(this.config.home, this.config.env);
    const runnerConfig: RunnerConfig = {
      model: this.config.model,
      gatewayUrl: this.config.gatewayUrl,
      workspace: this.config.workspace,
      stateFile: this.stateFile,
      threadId: THREAD,
      approvalTools: this.config.approvalRequiredTools,
      mcpServers: this.config.mcpServers,
      systemPrompt: this.config.systemPrompt,
      shellEnv,
      // Rules and skills, when stdio.ts wrote them (docs/skills.md).
      ...contextPaths(this.config.home),
    };
    const cli = spawnCli({
      // The Bun running this adapter runs the deep agent too (LAP's node_modules hold deepagents).
      cmd: [this.config.binary ?? process.execPath, RUNNER],
      argv0: DEEPAGENTS_PROCESS,
      cwd: this.config.workspace,
      env: {
        ...shellEnv,
        LAP_DEEPAGENTS_CONFIG: JSON.stringify(runnerConfig),
        LAP_GATEWAY_KEY: this.config.apiKey,
        // How long a model step waits for a restarting LAP (the sandbox's orphan grace period; runner.ts).
        ...(process.env.LAP_GATEWAY_RETRY_SECONDS ? { LAP_GATEWAY_RETRY_SECONDS: process.env.LAP_GATEWAY_RETRY_SECONDS } : {}),
        // LangSmith tracing is LangChain's only telemetry; the agent talks to LAP's gateway alone.
        LANGSMITH_TRACING: "false",
        LANGCHAIN_TRACING_V2: "false",
      },
      onLine: (line) => this.onLine(line),
    });
    this.turns.cli = cli;
    void cli.exited.then((code) => this.turns.exited(cli, code));
    return cli;
  }

  private onLine(line: string): void {
    let event: HarnessEvent;
    try {
      event = JSON.parse(line) as HarnessEvent;
    } catch {
      return; // not protocol: a stray log line
    }
    if ((event as { type?: string })?.type === RUNNER_READY) {
      this.ready?.();
      return;
    }
    const turn = this.turns.turn;
    if (!turn || turn.finished || typeof event?.type !== "string") return;
    turn.emit(event);
    // Once a turn has been saved the thread can be resumed by a restarted harness.
    if (existsSync(this.stateFile)) this.conversationId = THREAD;
  }

  private write(command: RunnerCommand): void {
    this.ensureProcess().write(JSON.stringify(command));
  }

  async send(text: string, onEvent?: (event: HarnessEvent) => void, attachments: Attachment[] = []): Promise<TurnResult> {
    const { turn, prompt } = this.turns.begin(text, onEvent);
    this.write({ type: "turn", text: prompt, ...(attachments.length ? { attachments } : {}) });
    return this.turns.result(turn);
  }

  async confirm(confirmation: ToolConfirmation, onEvent?: (event: HarnessEvent) => void): Promise<TurnResult> {
    const turn = this.turns.open(onEvent);
    if (!this.turns.cli) {
      // The process that held the waiting call is gone (crash, restart): nothing can answer it.
      this.turns.fail("harness_failed", `no tool call ${confirmation.tool_use_id} is waiting for a decision`);
      return this.turns.result(turn);
    }
    this.write({
      type: "decide",
      tool_use_id: confirmation.tool_use_id,
      result: confirmation.result,
      deny_message: confirmation.deny_message,
    });
    return this.turns.result(turn);
  }

  async interrupt(): Promise<void> {
    await this.turns.interrupt((cli) => cli.write(JSON.stringify({ type: "interrupt" } satisfies RunnerCommand)));
  }

  async stop(): Promise<void> {
    await this.turns.stop();
  }
}

/** DeepAgents' `memory` and `skills` from what harness/context.ts wrote under the home. */
function contextPaths(home: string): { memory?: string[]; skills?: string[] } {
  const layout = contextLayout("deepagents", home)!;
  return {
    ...(existsSync(layout.rulesFile) ? { memory: [layout.rulesFile] } : {}),
    ...(existsSync(layout.skillsDir) && readdirSync(layout.skillsDir).length ? { skills: [`${layout.skillsDir}/`] } : {}),
  };
}
