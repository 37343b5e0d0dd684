/**
 * Caller speaks OpenAI chat completions, provider speaks Anthropic Messages:
 * the request goes chat -> Anthropic, the response (and stream) Anthropic -> chat.
 */
import type { Json } from "../types";
import { SSE_DONE, sseData, type SseEvent, type StreamTranslator } from "./sse";
import { tokenCountsOf, UsageTally } from "./usage";

const DEFAULT_MAX_TOKENS = 4096;

const partText = (content: unknown): string =>
  typeof content === "string"
    ? content
    : Array.isArray(content)
      ? content.map((p) => (typeof p === "string" ? p : (p?.text ?? ""))).join("")
      : "";

function toImageBlock(url: string): Json {
  const m = /^data:([^;]+);base64,(.*)$/s.exec(url);
  return m ? { type: "image", source: { type: "base64", media_type: m[1], data: m[2] } } : { type: "image", source: { type: "url", url } };
}

/** An OpenAI `file` part (`file_data` data URL) as an Anthropic document block; other files are dropped. */
function toDocumentBlock(file: Json | undefined): Json | undefined {
  const m = /^data:([^;]+);base64,(.*)$/s.exec(String(file?.file_data ?? ""));
  if (!m) return undefined;
  const title = typeof file?.filename === "string" && file.filename ? { title: file.filename } : {};
  if (m[1] === "application/pdf")
    return { type: "document", source: { type: "base64", media_type: "application/pdf", data: m[2] }, ...title };
  if (m[1] === "text/plain")
    return {
      type: "document",
      source: { type: "text", media_type: "text/plain", data: Buffer.from(m[2]!, "base64").toString("utf8") },
      ...title,
    };
  return undefined;
}

function userBlocks(content: unknown): Json[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  const blocks: Json[] = [];
  for (const p of (content ?? []) as Json[]) {
    if (p.type === "text") blocks.push({ type: "text", text: p.text });
    else if (p.type === "image_url") blocks.push(toImageBlock(typeof p.image_url === "string" ? p.image_url : p.image_url?.url));
    else if (p.type === "file") {
      const doc = toDocumentBlock(p.file);
      if (doc) blocks.push(doc);
    }
  }
  return blocks;
}

const parseArgs = (s: string | undefined): Json => {
  try {
    return s ? JSON.parse(s) : {};
  } catch {
    return {};
  }
};

export function chatRequestToAnthropic(body: Json, upstreamModel: string): Json {
  const system: string[] = [];
  const messages: Json[] = [];
  // Anthropic needs alternating roles: consecutive same-role messages are merged into one.
  const push = (role: "user" | "assistant", blocks: Json[]) => {
    if (blocks.length === 0) return;
    const last = messages[messages.length - 1];
    if (last && last.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  for (const m of body.messages as Json[]) {
    if (m.role === "system" || m.role === "developer") system.push(partText(m.content));
    else if (m.role === "user") push("user", userBlocks(m.content));
    else if (m.role === "assistant") {
      const blocks: Json[] = [];
      const text = partText(m.content);
      if (text) blocks.push({ type: "text", text });
      for (const tc of m.tool_calls ?? [])
        blocks.push({ type: "tool_use", id: tc.id, name: tc.function?.name, input: parseArgs(tc.function?.arguments) });
      push("assistant", blocks);
    } else if (m.role === "tool" || m.role === "function") {
      push("user", [{ type: "tool_result", tool_use_id: m.tool_call_id, content: partText(m.content) }]);
    }
  }
  const out: Json = {
    model: upstreamModel,
    messages,
    max_tokens: body.max_tokens ?? body.max_completion_tokens ?? DEFAULT_MAX_TOKENS,
  };
  if (system.length) out.system = system.join("\n\n");
  if (body.temperature !== undefined && body.temperature !== null) out.temperature = Math.min(1, body.temperature);
  if (body.top_p !== undefined && body.top_p !== null) out.top_p = body.top_p;
  if (body.stop) out.stop_sequences = Array.isArray(body.stop) ? body.stop : [body.stop];
  if (body.user) out.metadata = { user_id: String(body.user) };
  if (Array.isArray(body.tools) && body.tools.length) {
    out.tools = body.tools
      .filter((t: Json) => t.type === "function")
      .map((t: Json) => ({
        name: t.function.name,
        ...(t.function.description ? { description: t.function.description } : {}),
        input_schema: t.function.parameters ?? { type: "object", properties: {} },
      }));
  }
  const tc = body.tool_choice;
  if (tc === "auto") out.tool_choice = { type: "auto" };
  else if (tc === "required") out.tool_choice = { type: "any" };
  else if (tc === "none") out.tool_choice = { type: "none" };
  else if (tc && typeof tc === "object" && tc.function?.name) out.tool_choice = { type: "tool", name: tc.function.name };
  if (body.parallel_tool_calls === false && out.tool_choice) out.tool_choice.disable_parallel_tool_use = true;
  if (body.stream) out.stream = true;
  return out;
}

export const STOP_TO_FINISH: Record<string, string> = {
  end_turn: "stop",
  stop_sequence: "stop",
  max_tokens: "length",
  tool_use: "tool_calls",
  pause_turn: "stop",
  refusal: "content_filter",
};

export function anthropicResponseToChat(res: Json, model: string): Json {
  const blocks = (res.content ?? []) as Json[];
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
  const { input, output } = tokenCountsOf("anthropic", res);
  return {
    id: `chatcmpl-${String(res.id ?? crypto.randomUUID()).replace(/^msg_/, "")}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: text || null, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) },
        finish_reason: STOP_TO_FINISH[res.stop_reason] ?? "stop",
        logprobs: null,
      },
    ],
    usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output },
  };
}

/** Anthropic stream events -> chat completion chunks ending in `data: [DONE]`. */
export class AnthropicToChatStream implements StreamTranslator {
  private id = `chatcmpl-${crypto.randomUUID()}`;
  private created = Math.floor(Date.now() / 1000);
  private usage = new UsageTally("anthropic");
  private toolIndexByBlock = new Map<number, number>();
  private done = false;

  constructor(
    private readonly model: string,
    private readonly includeUsage: boolean,
    private readonly onUsage: (input: number, output: number) => void,
  ) {}

  private chunk(delta: Json, finish: string | null = null): string {
    return sseData({
      id: this.id,
      object: "chat.completion.chunk",
      created: this.created,
      model: this.model,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    });
  }

  onEvent(ev: SseEvent): string[] {
    let e: Json;
    try {
      e = JSON.parse(ev.data);
    } catch {
      return [];
    }
    switch (e.type) {
      case "message_start": {
        this.id = `chatcmpl-${String(e.message?.id ?? "").replace(/^msg_/, "") || crypto.randomUUID()}`;
        this.usage.add(e);
        return [this.chunk({ role: "assistant", content: "" })];
      }
      case "content_block_start": {
        const b = e.content_block ?? {};
        if (b.type !== "tool_use") return [];
        const idx = this.toolIndexByBlock.size;
        this.toolIndexByBlock.set(e.index, idx);
        return [this.chunk({ tool_calls: [{ index: idx, id: b.id, type: "function", function: { name: b.name, arguments: "" } }] })];
      }
      case "content_block_delta": {
        const d = e.delta ?? {};
        if (d.type === "text_delta") return [this.chunk({ content: d.text })];
        if (d.type === "input_json_delta") {
          const idx = this.toolIndexByBlock.get(e.index) ?? 0;
          return [this.chunk({ tool_calls: [{ index: idx, function: { arguments: d.partial_json } }] })];
        }
        return [];
      }
      case "message_delta": {
        this.usage.add(e);
        return e.delta?.stop_reason ? [this.chunk({}, STOP_TO_FINISH[e.delta.stop_reason] ?? "stop")] : [];
      }
      case "message_stop":
        return this.finish();
      case "error":
        return [
          sseData({
            error: { message: e.error?.message ?? "upstream error", type: e.error?.type ?? "api_error", param: null, code: null },
          }),
        ];
      default:
        return [];
    }
  }

  private finish(): string[] {
    if (this.done) return [];
    this.done = true;
    const { input, output } = this.usage;
    this.onUsage(input, output);
    const out: string[] = [];
    if (this.includeUsage) {
      out.push(
        sseData({
          id: this.id,
          object: "chat.completion.chunk",
          created: this.created,
          model: this.model,
          choices: [],
          usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output },
        }),
      );
    }
    out.push(SSE_DONE);
    return out;
  }

  onEnd(): string[] {
    return this.finish();
  }
}
