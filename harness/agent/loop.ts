/**
 * The built-in agent loop: user turn → model (through LAP's gateway, streamed) → tools in the
 * sandbox → model … until the model stops calling tools, the step limit is hit, or LAP interrupts.
 * Every step is emitted as a normalized event.
 */
import type { HarnessConfig, NormalizedEvent, TextPart } from "../protocol";
import { type ChatMessage, streamChat } from "./chat-stream";
import { McpTools } from "./mcp-tools";
import { TOOLS, runTool } from "./tools";

export type Emit = (event: NormalizedEvent) => void;

const DEFAULT_SYSTEM =
  "You are a capable software agent working in a sandboxed Linux workspace (the current directory). " +
  "Use the tools to inspect and change files and run commands. Be concise; when done, say what you did.";

const TOOL_SPECS = TOOLS.map((t) => ({ type: "function", function: { name: t.name, description: t.description, parameters: t.parameters } }));

const textOf = (content: unknown) =>
  Array.isArray(content) ? content.map((p: any) => (p?.type === "text" && typeof p.text === "string" ? p.text : "")).join("") : typeof content === "string" ? content : "";

/** Rebuilds the chat transcript from stored normalized events (after a recovery or a restart). */
export function messagesFromHistory(events: NormalizedEvent[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  let assistant: Extract<ChatMessage, { role: "assistant" }> | null = null;
  const flush = () => {
    if (assistant) out.push(assistant);
    assistant = null;
  };
  for (const e of events) {
    if (e.type === "user.message") {
      flush();
      out.push({ role: "user", content: textOf(e.content) });
    } else if (e.type === "agent.message") {
      assistant ??= { role: "assistant", content: "" };
      if (assistant.tool_calls?.length) {
        flush();
        assistant = { role: "assistant", content: "" };
      }
      assistant.content = (assistant.content ?? "") + textOf(e.content);
    } else if (e.type === "agent.tool_use") {
      assistant ??= { role: "assistant", content: "" };
      (assistant.tool_calls ??= []).push({ id: String(e.id), type: "function", function: { name: String(e.name), arguments: JSON.stringify(e.input ?? {}) } });
    } else if (e.type === "agent.tool_result") {
      flush();
      out.push({ role: "tool", tool_call_id: String(e.tool_use_id), content: textOf(e.content) });
    }
  }
  flush();
  return out;
}

export class AgentLoop {
  private transcript: ChatMessage[] = [];
  private current: AbortController | null = null;
  /** The agent's MCP servers through LAP, when it has any: more tools, named `server__tool`. */
  readonly mcp: McpTools | null;

  constructor(private config: HarnessConfig, private emit: Emit, private proxy?: string) {
    this.mcp = config.mcp ? new McpTools(config.mcp, config.gatewayKey) : null;
  }

  loadHistory(events: NormalizedEvent[]) {
    this.transcript = messagesFromHistory(events);
  }

  interrupt() {
    this.current?.abort();
  }

  get busy() {
    return this.current !== null;
  }

  async turn(content: TextPart[]): Promise<void> {
    if (this.current) {
      this.emit({ type: "session.error", error: { message: "a turn is already running" } });
      return;
    }
    const abort = new AbortController();
    this.current = abort;
    this.transcript.push({ role: "user", content: textOf(content) });
    this.emit({ type: "session.status_running" });
    try {
      const tools = [...TOOL_SPECS, ...((await this.mcp?.functions()) ?? [])];
      for (let step = 1; step <= this.config.maxSteps; step++) {
        const stream = streamChat({
          baseUrl: this.config.gatewayBaseUrl,
          apiKey: this.config.gatewayKey,
          model: this.config.model,
          messages: [{ role: "system", content: this.config.systemPrompt || DEFAULT_SYSTEM }, ...this.transcript],
          tools,
          signal: abort.signal,
        });
        let next = await stream.next();
        while (!next.done) {
          const d = next.value;
          if (d.kind === "thinking") this.emit({ type: "agent.thinking", thinking: d.text, content: [{ type: "thinking", text: d.text }], model: this.config.model });
          else this.emit({ type: "agent.message", content: [{ type: "text", text: d.text }], model: this.config.model });
          next = await stream.next();
        }
        const { content: text, toolCalls } = next.value;
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
          this.emit({ type: "agent.tool_use", id: call.id, name: call.function.name, input });
          const result = this.mcp?.has(call.function.name)
            ? await this.mcp.call(call.function.name, call.function.arguments, abort.signal)
            : await runTool(call.function.name, call.function.arguments, { workspace: this.config.workspace, signal: abort.signal, proxy: this.proxy });
          this.emit({ type: "agent.tool_result", tool_use_id: call.id, name: call.function.name, content: [{ type: "text", text: result.output }], is_error: result.isError });
          this.transcript.push({ role: "tool", tool_call_id: call.id, content: result.output });
          if (abort.signal.aborted) break;
        }
        if (abort.signal.aborted) throw new DOMException("interrupted", "AbortError");
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
