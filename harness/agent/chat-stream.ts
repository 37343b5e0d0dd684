/**
 * One streaming call to LAP's gateway (`POST {base}/chat/completions`, OpenAI wire format):
 * yields text deltas as they arrive and returns the assembled assistant message with its tool calls.
 */
import type { ChatUserContent } from "./user-content";

export interface ToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export type ChatMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: ChatUserContent }
  | { role: "assistant"; content: string | null; tool_calls?: ToolCall[] }
  | { role: "tool"; tool_call_id: string; content: string };

export interface ChatRequest {
  baseUrl: string;
  apiKey: string;
  model: string;
  messages: ChatMessage[];
  tools: unknown[];
  signal: AbortSignal;
}

export class GatewayError extends Error {}

/** Parses `data:` frames of an SSE body. */
async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = "";
  let data: string[] = [];
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl).replace(/\r$/, "");
      buffer = buffer.slice(nl + 1);
      if (line === "") {
        if (data.length) yield data.join("\n");
        data = [];
      } else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
    }
  }
  if (data.length) yield data.join("\n");
}

export interface Delta {
  kind: "text" | "thinking";
  text: string;
}

export async function* streamChat(
  req: ChatRequest,
): AsyncGenerator<Delta, { content: string; toolCalls: ToolCall[]; finishReason: string | null }> {
  const res = await fetch(`${req.baseUrl.replace(/\/+$/, "")}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${req.apiKey}` },
    body: JSON.stringify({ model: req.model, messages: req.messages, tools: req.tools, stream: true }),
    signal: req.signal,
  });
  if (!res.ok || !res.body) {
    const text = await res.text().catch(() => "");
    let message = text.slice(0, 500);
    try {
      const parsed = JSON.parse(text) as { error?: { message?: string } | string };
      message = typeof parsed.error === "string" ? parsed.error : (parsed.error?.message ?? message);
    } catch {}
    throw new GatewayError(`gateway answered ${res.status}: ${message}`);
  }
  let content = "";
  let finishReason: string | null = null;
  const calls: ToolCall[] = [];
  for await (const data of sseData(res.body)) {
    if (data === "[DONE]") break;
    // biome-ignore lint/suspicious/noExplicitAny: one SSE chunk of a provider's stream; fields are read defensively below
    let chunk: any;
    try {
      chunk = JSON.parse(data);
    } catch {
      continue;
    }
    if (chunk.error) throw new GatewayError(`gateway stream error: ${chunk.error.message ?? JSON.stringify(chunk.error)}`);
    const choice = chunk.choices?.[0];
    if (!choice) continue;
    const delta = choice.delta ?? {};
    // Reasoning arrives as `reasoning_content` (LiteLLM, DeepSeek) or `reasoning` (OpenRouter style).
    const reasoning = delta.reasoning_content ?? delta.reasoning;
    if (typeof reasoning === "string" && reasoning) yield { kind: "thinking", text: reasoning };
    if (typeof delta.content === "string" && delta.content) {
      content += delta.content;
      yield { kind: "text", text: delta.content };
    }
    for (const tc of delta.tool_calls ?? []) {
      const i = typeof tc.index === "number" ? tc.index : calls.length;
      calls[i] ??= { id: "", type: "function", function: { name: "", arguments: "" } };
      const call = calls[i]!;
      if (tc.id) call.id = tc.id;
      if (tc.function?.name) call.function.name += tc.function.name;
      if (tc.function?.arguments) call.function.arguments += tc.function.arguments;
    }
    if (choice.finish_reason) finishReason = choice.finish_reason;
  }
  const toolCalls = calls.filter(Boolean).map((c, i) => ({ ...c, id: c.id || `call_${i}` }));
  return { content, toolCalls, finishReason };
}
