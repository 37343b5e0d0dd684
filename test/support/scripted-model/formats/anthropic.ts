// Anthropic Messages API (`POST /v1/messages`), as Claude Code speaks it: streaming with
// text, thinking and tool_use content blocks.
import type { Conversation, ConversationMessage, OutputPart, ToolSpec } from "../script.ts";
import { type SseFrame, textOf } from "./sse.ts";

type Block = { type?: string; text?: string; content?: unknown; name?: string };
type AnthropicBody = {
  model?: string;
  stream?: boolean;
  tools?: { name: string; input_schema?: { properties?: Record<string, unknown> } }[];
  messages?: { role: string; content: string | Block[] }[];
};

export function parseAnthropic(raw: unknown): Conversation & { stream: boolean } {
  const body = raw as AnthropicBody;
  const tools: ToolSpec[] = (body.tools ?? []).map((tool) => ({
    name: tool.name,
    kind: "function",
    parameters: Object.keys(tool.input_schema?.properties ?? {}),
  }));
  const messages: ConversationMessage[] = [];
  for (const message of body.messages ?? []) {
    if (typeof message.content === "string") {
      messages.push({ role: message.role === "user" ? "user" : "assistant", text: message.content });
      continue;
    }
    const results = message.content.filter((block) => block.type === "tool_result");
    for (const result of results) messages.push({ role: "tool_result", text: textOf(result.content) });
    if (message.role === "user" && results.length === 0) messages.push({ role: "user", text: textOf(message.content) });
    if (message.role === "assistant") messages.push({ role: "assistant", text: textOf(message.content) });
  }
  return { model: body.model ?? "", tools, messages, stream: body.stream === true };
}

export function anthropicFrames(parts: OutputPart[], model: string, hang: boolean): SseFrame[] {
  const frames: SseFrame[] = [
    {
      event: "message_start",
      data: {
        type: "message_start",
        message: {
          id: `msg_${Date.now()}`,
          type: "message",
          role: "assistant",
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 100, output_tokens: 1 },
        },
      },
    },
  ];
  parts.forEach((part, index) => {
    if (part.type === "thinking") {
      frames.push({
        event: "content_block_start",
        data: { type: "content_block_start", index, content_block: { type: "thinking", thinking: "" } },
      });
      frames.push({
        event: "content_block_delta",
        data: { type: "content_block_delta", index, delta: { type: "thinking_delta", thinking: part.text } },
      });
      frames.push({
        event: "content_block_delta",
        data: { type: "content_block_delta", index, delta: { type: "signature_delta", signature: "c2NyaXB0ZWQ=" } },
      });
    } else if (part.type === "text") {
      frames.push({
        event: "content_block_start",
        data: { type: "content_block_start", index, content_block: { type: "text", text: "" } },
      });
      for (const chunk of chunks(part.text)) {
        frames.push({
          event: "content_block_delta",
          data: { type: "content_block_delta", index, delta: { type: "text_delta", text: chunk } },
        });
      }
    } else {
      frames.push({
        event: "content_block_start",
        data: {
          type: "content_block_start",
          index,
          content_block: { type: "tool_use", id: part.id.replace(/^call/, "toolu"), name: part.name, input: {} },
        },
      });
      frames.push({
        event: "content_block_delta",
        data: { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: part.arguments } },
      });
    }
    if (!(hang && index === parts.length - 1)) frames.push({ event: "content_block_stop", data: { type: "content_block_stop", index } });
  });
  if (hang) return frames;
  const stopReason = parts.some((part) => part.type === "tool_call") ? "tool_use" : "end_turn";
  frames.push({
    event: "message_delta",
    data: {
      type: "message_delta",
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { input_tokens: 100, output_tokens: 20 },
    },
  });
  frames.push({ event: "message_stop", data: { type: "message_stop" } });
  return frames;
}

export function anthropicMessage(parts: OutputPart[], model: string): unknown {
  return {
    id: `msg_${Date.now()}`,
    type: "message",
    role: "assistant",
    model,
    content: parts.map((part) =>
      part.type === "text"
        ? { type: "text", text: part.text }
        : part.type === "thinking"
          ? { type: "thinking", thinking: part.text, signature: "c2NyaXB0ZWQ=" }
          : { type: "tool_use", id: part.id, name: part.name, input: JSON.parse(part.arguments) },
    ),
    stop_reason: parts.some((part) => part.type === "tool_call") ? "tool_use" : "end_turn",
    stop_sequence: null,
    usage: { input_tokens: 100, output_tokens: 20 },
  };
}

export function anthropicError(status: number, message: string): Response {
  const type = status === 404 ? "not_found_error" : status === 401 ? "authentication_error" : "invalid_request_error";
  return Response.json({ type: "error", error: { type, message } }, { status });
}

/** Split text into a few deltas so streaming is visible to the harness. */
export function chunks(text: string): string[] {
  const out: string[] = [];
  for (let index = 0; index < text.length; index += 12) out.push(text.slice(index, index + 12));
  return out.length ? out : [""];
}
