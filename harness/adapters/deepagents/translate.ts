// DeepAgents' LangGraph stream (`streamMode: ["messages", "updates"]`) as LAP's normalized events.
// "messages" carries the model's tokens as they arrive (text and reasoning deltas); "updates" carries
// each node's finished output: the model node's AI message with its complete tool calls, the tool
// node's ToolMessages, and `__interrupt__` when the human-in-the-loop middleware stops for approval.
import { events as ev, type HarnessEvent } from "../types.ts";

/** The node the agent's model runs in (langchain's createAgent), and the one its tools run in. */
const MODEL_NODE = "model_request";

type ToolCall = { id?: string; name: string; args: Record<string, unknown> };
type MessageLike = {
  content?: unknown;
  additional_kwargs?: { reasoning_content?: unknown };
  tool_calls?: ToolCall[];
  tool_call_id?: string;
  status?: string;
  getType?: () => string;
  _getType?: () => string;
};
type Metadata = { langgraph_node?: string; langgraph_checkpoint_ns?: string };
/** One action the human-in-the-loop middleware asks about (langchain `HITLRequest.actionRequests`). */
export type ActionRequest = { name: string; args: Record<string, unknown> };

const messageType = (message: MessageLike): string => message.getType?.() ?? message._getType?.() ?? "";

/** The text of a message's content: a string, or text blocks. */
export function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((block) =>
      block && typeof block === "object" && (block as { type?: unknown }).type === "text"
        ? String((block as { text?: unknown }).text ?? "")
        : "",
    )
    .join("");
}

/** Messages in a node's update: `{ messages: [...] }`, or several such (parallel tool calls, Commands). */
function updateMessages(update: unknown): MessageLike[] {
  if (Array.isArray(update)) return update.flatMap(updateMessages);
  if (!update || typeof update !== "object") return [];
  const messages = (update as { messages?: unknown }).messages;
  return Array.isArray(messages) ? (messages as MessageLike[]) : [];
}

export type Translated = {
  events: HarnessEvent[];
  /** The human-in-the-loop middleware stopped the graph: these calls wait for a decision, in its order. */
  interrupt?: ActionRequest[];
};

export class DeepAgentsTranslator {
  /** Tool calls of the model's latest response, for matching an interrupt's actions to their ids. */
  lastToolCalls: Required<ToolCall>[] = [];
  private readonly reported = new Set<string>();

  /** `ask(name)`: whether a call of this tool waits for a person; undefined when nothing asks. */
  constructor(private readonly ask?: (toolName: string) => boolean) {}

  translate(mode: string, data: unknown): Translated {
    if (mode === "messages") return { events: this.token(data) };
    if (mode === "updates") return this.update(data as Record<string, unknown>);
    return { events: [] };
  }

  /** A token chunk of the agent's own model (a sub-agent's run inside the `task` tool is not the chat's). */
  private token(data: unknown): HarnessEvent[] {
    const [message, metadata] = data as [MessageLike, Metadata];
    if (metadata?.langgraph_node !== MODEL_NODE || (metadata.langgraph_checkpoint_ns ?? "").includes("|")) return [];
    if (!messageType(message).startsWith("ai") && messageType(message) !== "AIMessageChunk") return [];
    const out: HarnessEvent[] = [];
    const reasoning = message.additional_kwargs?.reasoning_content;
    if (typeof reasoning === "string" && reasoning) out.push(ev.thinking(reasoning));
    const text = contentText(message.content);
    if (text) out.push(ev.message(text));
    return out;
  }

  private update(update: Record<string, unknown>): Translated {
    const out: HarnessEvent[] = [];
    let interrupt: ActionRequest[] | undefined;
    for (const [node, value] of Object.entries(update ?? {})) {
      if (node === "__interrupt__") {
        interrupt = (value as { value?: { actionRequests?: ActionRequest[] } }[]).flatMap((entry) => entry.value?.actionRequests ?? []);
        continue;
      }
      for (const message of updateMessages(value)) {
        const type = messageType(message);
        if (node === MODEL_NODE && (type === "ai" || type === "AIMessageChunk") && message.tool_calls?.length) {
          this.lastToolCalls = message.tool_calls.map((call, index) => ({
            id: call.id ?? `call_${index}`,
            name: call.name,
            args: call.args ?? {},
          }));
          // A new response's ids are new calls even when the provider reuses ids (call_0 in every
          // response): an earlier call's reported result must not hide this one's.
          for (const call of this.lastToolCalls) this.reported.delete(call.id);
          for (const call of this.lastToolCalls)
            out.push(ev.toolUse(call.id, call.name, call.args, this.ask ? (this.ask(call.name) ? "ask" : "allow") : undefined));
        } else if (type === "tool" && message.tool_call_id && !this.reported.has(message.tool_call_id)) {
          // A call's result is reported once, whichever node produced it (the tools node, or the
          // approval middleware for a refused call).
          this.reported.add(message.tool_call_id);
          out.push(ev.toolResult(message.tool_call_id, contentText(message.content), message.status === "error"));
        }
      }
    }
    return { events: out, ...(interrupt ? { interrupt } : {}) };
  }

  /** The ids of the calls an interrupt asks about: the latest response's calls that ask, in order. */
  idsFor(actions: ActionRequest[]): string[] {
    const asking = this.lastToolCalls.filter((call) => !this.reported.has(call.id) && (this.ask?.(call.name) ?? true));
    return actions.map(
      (action, index) =>
        asking.find((call) => call.name === action.name && JSON.stringify(call.args) === JSON.stringify(action.args))?.id ??
        asking[index]?.id ??
        `ask_${index}`,
    );
  }

  /** A call answered outside the stream (refused by a new message) is not reported again. */
  markReported(id: string): void {
    this.reported.add(id);
  }

  isReported(id: string): boolean {
    return this.reported.has(id);
  }
}
