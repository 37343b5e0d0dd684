// OpenAI Responses API (`POST /v1/responses`), as Codex speaks it: the streaming event sequence
// ending in response.completed, with message, reasoning, function_call and custom_tool_call items.
import type { Conversation, ConversationMessage, OutputPart, ToolSpec } from "../script.ts";
import { chunks } from "./anthropic.ts";
import { type SseFrame, textOf } from "./sse.ts";

type ResponsesBody = {
  model?: string;
  stream?: boolean;
  tools?: { type: string; name?: string; parameters?: { properties?: Record<string, unknown> } }[];
  input?: string | { type?: string; role?: string; content?: unknown; output?: unknown }[];
};

export function parseResponses(raw: unknown): Conversation & { stream: boolean } {
  const body = raw as ResponsesBody;
  const tools: ToolSpec[] = (body.tools ?? []).flatMap((tool) =>
    tool.name && (tool.type === "function" || tool.type === "custom")
      ? [{ name: tool.name, kind: tool.type as "function" | "custom", parameters: Object.keys(tool.parameters?.properties ?? {}) }]
      : [],
  );
  const messages: ConversationMessage[] = [];
  const input = typeof body.input === "string" ? [{ type: "message", role: "user", content: body.input }] : (body.input ?? []);
  for (const item of input) {
    const type = item.type ?? "message";
    if (type === "message" && item.role === "user") messages.push({ role: "user", text: textOf(item.content) });
    else if (type === "message" && item.role === "assistant") messages.push({ role: "assistant", text: textOf(item.content) });
    else if (type.endsWith("_output"))
      messages.push({ role: "tool_result", text: typeof item.output === "string" ? item.output : textOf(item.output) });
  }
  return { model: body.model ?? "", tools, messages, stream: body.stream === true };
}

function outputItems(parts: OutputPart[]): Record<string, unknown>[] {
  return parts.map((part, index) => {
    if (part.type === "thinking") return { type: "reasoning", id: `rs_${index}`, summary: [{ type: "summary_text", text: part.text }] };
    if (part.type === "text") {
      return {
        type: "message",
        id: `msg_${index}`,
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text: part.text, annotations: [] }],
      };
    }
    if (part.kind === "custom")
      return {
        type: "custom_tool_call",
        id: `ctc_${index}`,
        call_id: part.id,
        name: part.name,
        input: part.arguments,
        status: "completed",
      };
    return { type: "function_call", id: `fc_${index}`, call_id: part.id, name: part.name, arguments: part.arguments, status: "completed" };
  });
}

export function responsesFrames(parts: OutputPart[], model: string, hang: boolean): SseFrame[] {
  const id = `resp_${Date.now()}`;
  let sequence = 0;
  const frame = (type: string, data: Record<string, unknown>): SseFrame => ({
    event: type,
    data: { type, sequence_number: sequence++, ...data },
  });
  const base = { id, object: "response", created_at: Math.floor(Date.now() / 1000), model };
  const frames: SseFrame[] = [frame("response.created", { response: { ...base, status: "in_progress", output: [] } })];
  const items = outputItems(parts);
  items.forEach((item, index) => {
    const part = parts[index]!;
    if (part.type === "text") {
      frames.push(frame("response.output_item.added", { output_index: index, item: { ...item, status: "in_progress", content: [] } }));
      for (const piece of chunks(part.text)) {
        frames.push(frame("response.output_text.delta", { item_id: item.id, output_index: index, content_index: 0, delta: piece }));
      }
      if (hang && index === items.length - 1) return;
    } else if (part.type === "thinking") {
      frames.push(frame("response.output_item.added", { output_index: index, item: { ...item, summary: [] } }));
      frames.push(
        frame("response.reasoning_summary_text.delta", { item_id: item.id, output_index: index, summary_index: 0, delta: part.text }),
      );
    }
    frames.push(frame("response.output_item.done", { output_index: index, item }));
  });
  if (hang) return frames;
  frames.push(
    frame("response.completed", {
      response: {
        ...base,
        status: "completed",
        output: items,
        usage: {
          input_tokens: 100,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: 20,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: 120,
        },
      },
    }),
  );
  return frames;
}

export function responsesJson(parts: OutputPart[], model: string): unknown {
  return {
    id: `resp_${Date.now()}`,
    object: "response",
    created_at: Math.floor(Date.now() / 1000),
    model,
    status: "completed",
    output: outputItems(parts),
    usage: { input_tokens: 100, output_tokens: 20, total_tokens: 120 },
  };
}
