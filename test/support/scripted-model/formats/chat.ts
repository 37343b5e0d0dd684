// OpenAI Chat Completions (`POST /v1/chat/completions`), as opencode's openai-compatible provider
// speaks it: streaming chunks with content, reasoning_content and tool_calls deltas.
import type { Conversation, ConversationMessage, OutputPart, ToolSpec } from "../script.ts";
import { chunks } from "./anthropic.ts";
import { type SseFrame, textOf } from "./sse.ts";

type ChatBody = {
  model?: string;
  stream?: boolean;
  tools?: { function?: { name: string; parameters?: { properties?: Record<string, unknown> } } }[];
  messages?: { role: string; content?: unknown }[];
};

const OPENCLAW_CONTEXT = "<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>";

export function parseChat(raw: unknown): Conversation & { stream: boolean } {
  const body = raw as ChatBody;
  const tools: ToolSpec[] = (body.tools ?? []).flatMap((tool) =>
    tool.function
      ? [{ name: tool.function.name, kind: "function" as const, parameters: Object.keys(tool.function.parameters?.properties ?? {}) }]
      : [],
  );
  const messages: ConversationMessage[] = [];
  for (const message of body.messages ?? []) {
    // OpenClaw appends its own context (active exec sessions, sub-agents) as a user message after the
    // person's prompt; it is not a prompt, so the script keys on the one before it.
    if (message.role === "user" && textOf(message.content).startsWith(OPENCLAW_CONTEXT)) continue;
    if (message.role === "user") messages.push({ role: "user", text: textOf(message.content) });
    else if (message.role === "assistant") messages.push({ role: "assistant", text: textOf(message.content) });
    else if (message.role === "tool") messages.push({ role: "tool_result", text: textOf(message.content) });
  }
  return { model: body.model ?? "", tools, messages, stream: body.stream === true };
}

export function chatFrames(parts: OutputPart[], model: string, hang: boolean): SseFrame[] {
  const id = `chatcmpl-${Date.now()}`;
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta: unknown, finish: string | null = null) => ({
    data: { id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta, finish_reason: finish }] },
  });
  const frames: SseFrame[] = [chunk({ role: "assistant", content: "" })];
  let toolIndex = 0;
  for (const part of parts) {
    if (part.type === "thinking") frames.push(chunk({ reasoning_content: part.text }));
    else if (part.type === "text") for (const piece of chunks(part.text)) frames.push(chunk({ content: piece }));
    else {
      frames.push(
        chunk({ tool_calls: [{ index: toolIndex, id: part.id, type: "function", function: { name: part.name, arguments: "" } }] }),
      );
      frames.push(chunk({ tool_calls: [{ index: toolIndex, function: { arguments: part.arguments } }] }));
      toolIndex += 1;
    }
  }
  if (hang) return frames;
  frames.push(chunk({}, toolIndex > 0 ? "tool_calls" : "stop"));
  frames.push({
    data: {
      id,
      object: "chat.completion.chunk",
      created,
      model,
      choices: [],
      usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
    },
  });
  frames.push({ data: "[DONE]" });
  return frames;
}

export function chatCompletion(parts: OutputPart[], model: string): unknown {
  const calls = parts.filter((part) => part.type === "tool_call");
  return {
    id: `chatcmpl-${Date.now()}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content:
            parts
              .filter((part) => part.type === "text")
              .map((part) => part.text)
              .join("") || null,
          ...(calls.length
            ? {
                tool_calls: calls.map((call) => ({
                  id: call.id,
                  type: "function",
                  function: { name: call.name, arguments: call.arguments },
                })),
              }
            : {}),
        },
        finish_reason: calls.length ? "tool_calls" : "stop",
      },
    ],
    usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
  };
}

export function openaiError(status: number, message: string): Response {
  const code = status === 404 ? "model_not_found" : status === 401 ? "invalid_api_key" : "invalid_request";
  return Response.json({ error: { message, type: "invalid_request_error", param: null, code } }, { status });
}
