// What the Claude Code and Codex adapters share: one long-lived CLI process per session, one turn
// at a time, the recovered history prepended to the first prompt, and the same endings when the
// process goes away (interrupted → idle, otherwise harness_crashed with the tail of its stderr).
import type { CliProcess } from "./process.ts";
import { TurnRecorder } from "./process.ts";
import { events as ev, type HarnessConfig, type HarnessErrorCode, type HarnessEvent, type TurnResult, withHistory } from "./types.ts";

export class CliTurns {
  cli: CliProcess | undefined;
  turn: TurnRecorder | undefined;
  interrupted = false;
  private historyPending: boolean;

  /** `label` names the CLI in error messages (`claude`, `codex`). */
  constructor(
    private readonly label: string,
    private readonly config: HarnessConfig,
  ) {
    this.historyPending = Boolean(config.history?.length) && !config.resumeId;
  }

  /** Opens a turn (status_running) and returns it with the prompt to send. */
  begin(text: string, onEvent?: (event: HarnessEvent) => void): { turn: TurnRecorder; prompt: string } {
    const turn = this.open(onEvent);
    const prompt = this.historyPending ? withHistory(text, this.config.history) : text;
    this.historyPending = false;
    return { turn, prompt };
  }

  /** Opens a turn (status_running) that sends no prompt (a decision on a tool call the CLI waits on). */
  open(onEvent?: (event: HarnessEvent) => void): TurnRecorder {
    if (this.turn && !this.turn.finished) throw new Error(`${this.label}: a turn is already running`);
    const turn = new TurnRecorder(onEvent);
    this.turn = turn;
    this.interrupted = false;
    turn.emit({ type: "session.status_running" });
    return turn;
  }

  /** Ends the running turn with an error (a failed start, a rejected request). */
  fail(code: HarnessErrorCode, message: string): void {
    this.turn?.emit(ev.error(code, message));
  }

  async result(turn: TurnRecorder): Promise<TurnResult> {
    const outcome = await turn.done;
    return { outcome, events: turn.events };
  }

  /** The CLI exited: a turn still running ends as interrupted (if asked) or as a crash. */
  exited(cli: CliProcess, code: number): void {
    if (this.cli === cli) this.cli = undefined;
    const turn = this.turn;
    if (!turn || turn.finished) return;
    if (this.interrupted) {
      turn.emit(ev.idle("interrupted"));
      return;
    }
    const stderr = cli.stderrTail();
    turn.emit(ev.error("harness_crashed", `${this.label} exited mid-turn (code ${code})${stderr ? `: ${stderr.slice(-500)}` : ""}`));
  }

  /** Asks the CLI to stop the turn; kills it if the turn has not ended after `graceMs`. */
  async interrupt(request: (cli: CliProcess) => void, graceMs = 5_000): Promise<void> {
    const turn = this.turn;
    const cli = this.cli;
    if (!turn || turn.finished || !cli) return;
    this.interrupted = true;
    request(cli);
    const timer = setTimeout(() => cli.kill("SIGKILL"), graceMs);
    await turn.done;
    clearTimeout(timer);
  }

  async stop(graceMs = 3_000): Promise<void> {
    const cli = this.cli;
    if (!cli) return;
    cli.proc.stdin.end();
    cli.kill("SIGTERM");
    const timer = setTimeout(() => cli.kill("SIGKILL"), graceMs);
    await cli.exited;
    clearTimeout(timer);
  }
}
