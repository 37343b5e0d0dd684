/**
 * Caller speaks Anthropic Messages, provider speaks OpenAI chat completions:
 * the request goes Anthropic -> chat, the response (and stream) chat -> Anthropic.
 */
import type { Json } from "../types";
import { sseNamed, type SseEvent, type StreamTranslator } from "./sse";
import { tokenCountsOf, UsageTally } from "./usage";

const textOf = (content: unknown): string =>
  typeof content === "string"
    ? content
    : Array.isArray(content)
      ? content
          .filter((b) => b?.type === "text")
          .map((b) => b.text)
          .join("")
      : "";

function imagePart(block: Json): Json | undefined {
  const src = block.source ?? {};
  if (src.type === "base64") return { type: "image_url", image_url: { url: `data:${src.media_type};base64,${src.data}` } };
  if (src.type === "url") return { type: "image_url", image_url: { url: src.url } };
  return undefined;
}

/** A document block as a chat part: a PDF as a `file` part (data URL), text as text. */
function documentPart(block: Json): Json | undefined {
  const src = block.source ?? {};
  if (src.type === "base64" && src.media_type === "application/pdf")
    return { type: "file", file: { filename: block.title ?? "document.pdf", file_data: `data:application/pdf;base64,${src.data}` } };
  if (src.type === "base64" && src.media_type === "text/plain")
    return { type: "text", text: Buffer.from(String(src.data), "base64").toString("utf8") };
  if (src.type === "text") return { type: "text", text: String(src.data ?? "") };
  return undefined;
}

export function anthropicRequestToChat(body: Json, upstreamModel: string): Json {
  const messages: Json[] = [];
  if (body.system) messages.push({ role: "system", content: textOf(body.system) });
  for (const m of body.messages as Json[]) {
    if (typeof m.content === "string") {
      messages.push({ role: m.role, content: m.content });
      continue;
    }
    const blocks = (m.content ?? []) as Json[];
    if (m.role === "assistant") {
      const text = blocks
        .filter((b) => b.type === "text")
        .map((b) => b.text)
        .join("");
      const toolCalls = blocks
        .filter((b) => b.type === "tool_use")
        .map((b) => ({
          id: b.id,
          type: "function",
          function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) },
        }));
      messages.push({ role: "assistant", content: text || null, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) });
      continue;
    }
    // Tool results become `tool` messages, which must directly follow the assistant's tool calls.
    for (const b of blocks) {
      if (b.type === "tool_result") {
        messages.push({ role: "tool", tool_call_id: b.tool_use_id, content: (b.is_error ? "Error: " : "") + textOf(b.content) });
      }
    }
    const parts: Json[] = [];
    for (const b of blocks) {
      if (b.type === "text") parts.push({ type: "text", text: b.text });
      else if (b.type === "image") {
        const img = imagePart(b);
        if (img) parts.push(img);
      } else if (b.type === "document") {
        const doc = documentPart(b);
        if (doc) parts.push(doc);
      }
    }
    if (parts.length) {
      const onlyText = parts.every((p) => p.type === "text");
      messages.push({ role: "user", content: onlyText ? parts.map((p) => p.text).join("") : parts });
    }
  }
  const out: Json = { model: upstreamModel, messages, max_tokens: body.max_tokens };
  if (body.temperature !== undefined) out.temperature = body.temperature;
  if (body.top_p !== undefined) out.top_p = body.top_p;
  if (body.stop_sequences) out.stop = body.stop_sequences;
  if (body.metadata?.user_id) out.user = body.metadata.user_id;
  if (Array.isArray(body.tools) && body.tools.length) {
    out.tools = body.tools
      .filter((t: Json) => t.input_schema || !t.type || t.type === "custom")
      .map((t: Json) => ({
        type: "function",
        function: { name: t.name, description: t.description, parameters: t.input_schema ?? { type: "object", properties: {} } },
      }));
  }
  const tc = body.tool_choice;
  if (tc) {
    if (tc.type === "auto") out.tool_choice = "auto";
    else if (tc.type === "any") out.tool_choice = "required";
    else if (tc.type === "none") out.tool_choice = "none";
    else if (tc.type === "tool") out.tool_choice = { type: "function", function: { name: tc.name } };
    if (tc.disable_parallel_tool_use) out.parallel_tool_calls = false;
  }
  if (body.stream) {
    out.stream = true;
    out.stream_options = { include_usage: true };
  }
  return out;
}

export const FINISH_TO_STOP: Record<string, string> = {
  stop: "end_turn",
  length: "max_tokens",
  tool_calls: "tool_use",
  function_call: "tool_use",
  content_filter: "refusal",
};

const parseArgs = (s: string | undefined): Json => {
  try {
    return s ? JSON.parse(s) : {};
  } catch {
    return { _raw: s };
  }
};

export function chatResponseToAnthropic(res: Json, model: string): Json {
  const usage = tokenCountsOf("openai", res);
  const choice = res.choices?.[0] ?? {};
  const msg = choice.message ?? {};
  const content: Json[] = [];
  if (msg.content) content.push({ type: "text", text: typeof msg.content === "string" ? msg.content : textOf(msg.content) });
  for (const tc of msg.tool_calls ?? [])
    content.push({ type: "tool_use", id: tc.id, name: tc.function?.name, input: parseArgs(tc.function?.arguments) });
  return {
    id: `msg_${String(res.id ?? crypto.randomUUID()).replace(/^chatcmpl-/, "")}`,
    type: "message",
    role: "assistant",
    model,
    content,
    stop_reason: FINISH_TO_STOP[choice.finish_reason] ?? "end_turn",
    stop_sequence: null,
    usage: { input_tokens: usage.input, output_tokens: usage.output },
  };
}

/** Chat completion chunks -> Anthropic stream events (message_start ... message_stop). */
export class ChatToAnthropicStream implements StreamTranslator {
  private started = false;
  private block: { index: number; kind: "text" | "tool"; toolIndex?: number } | undefined;
  private nextIndex = 0;
  private stopReason = "end_turn";
  private usage = new UsageTally("openai");
  private finished = false;

  constructor(
    private readonly model: string,
    private readonly onUsage: (input: number, output: number) => void,
  ) {}

  private start(id: string): string[] {
    this.started = true;
    return [
      sseNamed("message_start", {
        type: "message_start",
        message: {
          id: `msg_${id}`,
          type: "message",
          role: "assistant",
          model: this.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 0, output_tokens: 0 },
        },
      }),
    ];
  }

  private closeBlock(): string[] {
    if (!this.block) return [];
    const out = [sseNamed("content_block_stop", { type: "content_block_stop", index: this.block.index })];
    this.block = undefined;
    return out;
  }

  onEvent(ev: SseEvent): string[] {
    if (ev.data === "[DONE]") return this.finish();
    let chunk: Json;
    try {
      chunk = JSON.parse(ev.data);
    } catch {
      return [];
    }
    if (chunk.error)
      return [sseNamed("error", { type: "error", error: { type: "api_error", message: chunk.error.message ?? "upstream error" } })];
    const out: string[] = this.started ? [] : this.start(String(chunk.id ?? crypto.randomUUID()).replace(/^chatcmpl-/, ""));
    this.usage.add(chunk);
    const choice = chunk.choices?.[0];
    if (!choice) return out;
    const delta = choice.delta ?? {};
    if (typeof delta.content === "string" && delta.content.length > 0) {
      if (this.block?.kind !== "text") {
        out.push(...this.closeBlock());
        this.block = { index: this.nextIndex++, kind: "text" };
        out.push(
          sseNamed("content_block_start", {
            type: "content_block_start",
            index: this.block.index,
            content_block: { type: "text", text: "" },
          }),
        );
      }
      out.push(
        sseNamed("content_block_delta", {
          type: "content_block_delta",
          index: this.block.index,
          delta: { type: "text_delta", text: delta.content },
        }),
      );
    }
    for (const tc of delta.tool_calls ?? []) {
      const isNew = Boolean(tc.id) || this.block?.kind !== "tool" || this.block.toolIndex !== tc.index;
      if (isNew) {
        out.push(...this.closeBlock());
        this.block = { index: this.nextIndex++, kind: "tool", toolIndex: tc.index };
        out.push(
          sseNamed("content_block_start", {
            type: "content_block_start",
            index: this.block.index,
            content_block: { type: "tool_use", id: tc.id ?? `toolu_${crypto.randomUUID()}`, name: tc.function?.name ?? "", input: {} },
          }),
        );
      }
      const args = tc.function?.arguments;
      if (args)
        out.push(
          sseNamed("content_block_delta", {
            type: "content_block_delta",
            index: this.block!.index,
            delta: { type: "input_json_delta", partial_json: args },
          }),
        );
    }
    if (choice.finish_reason) this.stopReason = FINISH_TO_STOP[choice.finish_reason] ?? "end_turn";
    return out;
  }

  private finish(): string[] {
    if (this.finished) return [];
    this.finished = true;
    const out = this.started ? [] : this.start(crypto.randomUUID());
    out.push(...this.closeBlock());
    const { input, output } = this.usage;
    this.onUsage(input, output);
    out.push(
      sseNamed("message_delta", {
        type: "message_delta",
        delta: { stop_reason: this.stopReason, stop_sequence: null },
        usage: { input_tokens: input, output_tokens: output },
      }),
    );
    out.push(sseNamed("message_stop", { type: "message_stop" }));
    return out;
  }

  onEnd(): string[] {
    return this.finish();
  }
}
