/**
 * The built-in agent loop: user turn → model (through LAP's gateway, streamed) → tools in the
 * sandbox → model … until the model stops calling tools, the step limit is hit, or LAP interrupts.
 * Every step is emitted as a normalized event.
 *
 * A tool in `approvalRequiredTools` is not run: its `agent.tool_use` carries
 * `evaluated_permission: "ask"` and the turn ends with `stop_reason: requires_action`. Nothing waits
 * in memory: the next turn is a `tool_confirmation` (run or refuse the call, then carry on), and a
 * restarted harness finds the unanswered calls again in its history.
 */
import type { ContentPart, HarnessConfig, NormalizedEvent, ToolConfirmation } from "../protocol";
import { chatUserContent } from "./user-content";
import { type ChatMessage, GatewayError, streamChat, type ToolCall } from "./chat-stream";
import { McpTools } from "./mcp-tools";
import { LOAD_SKILL, loadSkill, loadSkillSpec, systemWithContext } from "./skills";
import { TOOLS, runTool } from "./tools";

export type Emit = (event: NormalizedEvent) => void;

const DEFAULT_SYSTEM =
  "You are a capable software agent working in a sandboxed Linux workspace (the current directory). " +
  "Use the tools to inspect and change files and run commands. Be concise; when done, say what you did.";

const TOOL_SPECS = TOOLS.map((t) => ({
  type: "function",
  function: { name: t.name, description: t.description, parameters: t.parameters },
}));

const textOf = (content: unknown) =>
  Array.isArray(content)
    ? // biome-ignore lint/suspicious/noExplicitAny: transcript content parts, read defensively
      content.map((p: any) => (p?.type === "text" && typeof p.text === "string" ? p.text : "")).join("")
    : typeof content === "string"
      ? content
      : "";

/** What a rebuilt transcript says for a call that never got its result (its turn was lost with its sandbox). */
export const LOST_CALL_RESULT = "No result: the sandbox running this tool call was lost before it finished (docs/sessions.md).";

/**
 * Rebuilds the chat transcript from stored normalized events (after a recovery or a restart). A call
 * the agent ran without asking that has no result (the turn was lost mid-tool) gets LOST_CALL_RESULT
 * before the next user message, so the transcript stays one a provider accepts; calls waiting for a
 * decision are answered by the next turn (pendingFromHistory).
 */
export function messagesFromHistory(events: NormalizedEvent[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  let assistant: Extract<ChatMessage, { role: "assistant" }> | null = null;
  const unanswered = new Map<string, true>();
  const flush = () => {
    if (assistant) out.push(assistant);
    assistant = null;
  };
  const closeLost = () => {
    flush();
    for (const id of unanswered.keys()) out.push({ role: "tool", tool_call_id: id, content: LOST_CALL_RESULT });
    unanswered.clear();
  };
  for (const e of events) {
    if (e.type === "user.message") {
      closeLost();
      out.push({ role: "user", content: chatUserContent(e.content) });
    } else if (e.type === "agent.message" && e.restarted) {
      // The step was tried again: the text of the broken attempt is not part of the answer.
      if (assistant && !assistant.tool_calls?.length) assistant.content = "";
    } else if (e.type === "agent.message") {
      assistant ??= { role: "assistant", content: "" };
      if (assistant.tool_calls?.length) {
        flush();
        assistant = { role: "assistant", content: "" };
      }
      assistant.content = (assistant.content ?? "") + textOf(e.content);
    } else if (e.type === "agent.tool_use") {
      assistant ??= { role: "assistant", content: "" };
      (assistant.tool_calls ??= []).push({
        id: String(e.id),
        type: "function",
        function: { name: String(e.name), arguments: JSON.stringify(e.input ?? {}) },
      });
      if (e.evaluated_permission !== "ask") unanswered.set(String(e.id), true);
    } else if (e.type === "agent.tool_result") {
      flush();
      unanswered.delete(String(e.tool_use_id));
      out.push({ role: "tool", tool_call_id: String(e.tool_use_id), content: textOf(e.content) });
    }
  }
  closeLost();
  return out;
}

export interface PendingCall {
  id: string;
  name: string;
  arguments: string;
}

/**
 * Tool calls that asked for a decision and have no result yet (rebuilt after a restart), read in
 * order: a provider may reuse an id once its call is answered (`call_0` in every response), so a
 * result answers the latest earlier call with its id, never a later one.
 */
export function pendingFromHistory(events: NormalizedEvent[]): PendingCall[] {
  const open = new Map<string, PendingCall>();
  for (const e of events) {
    if (e.type === "agent.tool_use" && e.evaluated_permission === "ask")
      open.set(String(e.id), { id: String(e.id), name: String(e.name), arguments: JSON.stringify(e.input ?? {}) });
    else if (e.type === "agent.tool_result") open.delete(String(e.tool_use_id));
  }
  return [...open.values()];
}

export class AgentLoop {
  private transcript: ChatMessage[] = [];
  private pending: PendingCall[] = [];
  private current: AbortController | null = null;
  /** The agent's MCP servers through LAP, when it has any: more tools, named `server__tool`. */
  readonly mcp: McpTools | null;

  constructor(
    private config: HarnessConfig,
    private emit: Emit,
    private proxy?: string,
  ) {
    this.mcp = config.mcp ? new McpTools(config.mcp, config.gatewayKey) : null;
  }

  loadHistory(events: NormalizedEvent[]) {
    this.transcript = messagesFromHistory(events);
    this.pending = pendingFromHistory(events);
  }

  interrupt() {
    this.current?.abort();
  }

  get busy() {
    return this.current !== null;
  }

  /** Calls waiting for a person's decision. */
  get waiting(): readonly PendingCall[] {
    return this.pending;
  }

  turn(content: ContentPart[]): Promise<void> {
    return this.run(async () => {
      // A new message instead of a decision: the unanswered calls are refused, so the transcript
      // stays one the model accepts (every tool call has its result).
      for (const call of this.pending.splice(0))
        this.toolResult(call, "Not run: the user sent a new message instead of deciding on this tool call.", true);
      this.transcript.push({ role: "user", content: chatUserContent(content) });
      return true;
    });
  }

  /** Runs or refuses the pending call, then continues the loop once no call is waiting. */
  confirm(confirmation: ToolConfirmation): Promise<void> {
    return this.run(async (signal) => {
      const i = this.pending.findIndex((p) => p.id === confirmation.tool_use_id);
      if (i < 0) throw new Error(`no tool call ${confirmation.tool_use_id} is waiting for a decision`);
      const [call] = this.pending.splice(i, 1);
      if (confirmation.result === "allow") {
        const result = await this.runCall(call!.name, call!.arguments, signal);
        this.toolResult(call!, result.output, result.isError);
      } else {
        const why = confirmation.deny_message?.trim();
        this.toolResult(call!, `The user denied this tool call${why ? `: ${why}` : "."} Do not retry it unchanged.`, true);
      }
      if (signal.aborted) throw new DOMException("interrupted", "AbortError");
      return this.endIfWaiting();
    });
  }

  /** A sandbox tool, or one of the agent's MCP tools through LAP. */
  private async runCall(name: string, args: string, signal: AbortSignal) {
    if (name === LOAD_SKILL && this.config.context?.skills.length) return loadSkill(this.config.context, this.config.sessionId, args);
    return this.mcp?.has(name)
      ? this.mcp.call(name, args, signal)
      : runTool(name, args, { workspace: this.config.workspace, signal, proxy: this.proxy });
  }

  private toolResult(call: PendingCall, output: string, isError: boolean) {
    this.emit({
      type: "agent.tool_result",
      tool_use_id: call.id,
      name: call.name,
      content: [{ type: "text", text: output }],
      is_error: isError,
    });
    this.transcript.push({ role: "tool", tool_call_id: call.id, content: output });
  }

  /** Ends the turn with `requires_action` while calls wait; returns whether the loop may go on. */
  private endIfWaiting(): boolean {
    if (!this.pending.length) return true;
    this.emit({ type: "session.status_idle", stop_reason: { type: "requires_action", event_ids: this.pending.map((p) => p.id) } });
    return false;
  }

  private needsApproval(name: string) {
    return this.config.approvalRequiredTools?.includes(name) ?? false;
  }

  /**
   * One model call, streamed out as it comes. When LAP's gateway cannot be reached (LAP is
   * restarting: its sandboxes outlive it, docs/sessions.md) the step is tried again from the
   * transcript until LAP_GATEWAY_RETRY_SECONDS (the sandbox's orphan grace period; unset: no retry) have passed; text already sent of the broken attempt
   * is then followed by an `agent.message` with `restarted` (the message starts again there, and
   * what came before it in this step is incomplete). An answer from the gateway (an HTTP error) is
   * not retried.
   */
  private async modelStep(tools: unknown[], signal: AbortSignal): Promise<{ content: string; toolCalls: ToolCall[] }> {
    const retryMs = (Number(process.env.LAP_GATEWAY_RETRY_SECONDS) || 0) * 1000;
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      let sent = false;
      try {
        const stream = streamChat({
          baseUrl: this.config.gatewayBaseUrl,
          apiKey: this.config.gatewayKey,
          model: this.config.model,
          messages: [
            { role: "system", content: systemWithContext(this.config.systemPrompt || DEFAULT_SYSTEM, this.config.context) },
            ...this.transcript,
          ],
          tools,
          signal,
        });
        let next = await stream.next();
        while (!next.done) {
          const d = next.value;
          if (d.kind === "thinking")
            this.emit({
              type: "agent.thinking",
              thinking: d.text,
              content: [{ type: "thinking", text: d.text }],
              model: this.config.model,
            });
          else this.emit({ type: "agent.message", content: [{ type: "text", text: d.text }], model: this.config.model });
          sent = true;
          next = await stream.next();
        }
        return next.value;
      } catch (e) {
        if (signal.aborted || e instanceof GatewayError || Date.now() - started > retryMs) throw e;
        const reason = `LAP's gateway was unreachable (${e instanceof Error ? e.message : String(e)}); the model step is tried again`;
        if (sent) this.emit({ type: "agent.message", content: [], model: this.config.model, restarted: { reason, attempt } });
        await abortableSleep(Math.min(250 * 2 ** attempt, 3_000), signal);
      }
    }
  }

  /** One turn: `prelude` prepares the transcript (false: the turn already ended), then model ⇄ tools. */
  private async run(prelude: (signal: AbortSignal) => Promise<boolean>): Promise<void> {
    if (this.current) {
      this.emit({ type: "session.error", error: { message: "a turn is already running" } });
      return;
    }
    const abort = new AbortController();
    this.current = abort;
    this.emit({ type: "session.status_running" });
    try {
      if (!(await prelude(abort.signal))) return;
      const tools = [...TOOL_SPECS, ...loadSkillSpec(this.config.context), ...((await this.mcp?.functions()) ?? [])];
      for (let step = 1; step <= this.config.maxSteps; step++) {
        const { content: text, toolCalls } = await this.modelStep(tools, abort.signal);
        this.transcript.push({ role: "assistant", content: text || null, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) });
        if (!toolCalls.length) {
          this.emit({ type: "session.status_idle", stop_reason: { type: "end_turn" } });
          return;
        }
        for (const call of toolCalls) {
          let input: unknown = {};
          try {
            input = JSON.parse(call.function.arguments || "{}");
          } catch {}
          const ask = this.needsApproval(call.function.name);
          this.emit({ type: "agent.tool_use", id: call.id, name: call.function.name, input, evaluated_permission: ask ? "ask" : "allow" });
          if (ask) {
            this.pending.push({ id: call.id, name: call.function.name, arguments: call.function.arguments });
            continue;
          }
          const result = await this.runCall(call.function.name, call.function.arguments, abort.signal);
          this.toolResult({ id: call.id, name: call.function.name, arguments: call.function.arguments }, result.output, result.isError);
          if (abort.signal.aborted) break;
        }
        if (abort.signal.aborted) throw new DOMException("interrupted", "AbortError");
        if (!this.endIfWaiting()) return;
      }
      this.emit({ type: "session.status_idle", stop_reason: { type: "step_limit", steps: this.config.maxSteps } });
    } catch (e) {
      if (abort.signal.aborted) this.emit({ type: "session.status_idle", stop_reason: { type: "interrupted" } });
      else this.emit({ type: "session.error", error: { message: e instanceof Error ? e.message : String(e) } });
    } finally {
      this.current = null;
    }
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal.removeEventListener("abort", aborted);
      resolve();
    }
    function aborted() {
      clearTimeout(timer);
      reject(new DOMException("interrupted", "AbortError"));
    }
    signal.addEventListener("abort", aborted, { once: true });
  });
}
