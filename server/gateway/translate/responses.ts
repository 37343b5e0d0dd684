/**
 * Caller speaks the OpenAI Responses API (Codex); we carry it as chat completions internally:
 * the request goes responses -> chat, the response (and stream) chat -> responses.
 */
import type { Json } from "../types";
import { flatFunctionTools, flatName, splitName } from "./responses-namespaces";
import { SseParser, sseNamed, type SseEvent, type StreamTranslator } from "./sse";
import { tokenCountsOf, UsageTally } from "./usage";

function contentToChat(content: unknown): unknown {
  if (typeof content === "string") return content;
  const parts: Json[] = [];
  for (const p of (content ?? []) as Json[]) {
    if (p.type === "input_text" || p.type === "output_text" || p.type === "text") parts.push({ type: "text", text: p.text });
    else if (p.type === "input_image") parts.push({ type: "image_url", image_url: { url: p.image_url ?? p.file_id } });
    else if (p.type === "input_file" && typeof p.file_data === "string")
      parts.push({ type: "file", file: { filename: p.filename ?? "document.pdf", file_data: p.file_data } });
  }
  return parts.every((p) => p.type === "text") ? parts.map((p) => p.text).join("") : parts;
}

export function responsesRequestToChat(body: Json, upstreamModel: string): Json {
  const messages: Json[] = [];
  if (body.instructions) messages.push({ role: "system", content: body.instructions });
  const input = body.input;
  if (typeof input === "string") messages.push({ role: "user", content: input });
  for (const item of Array.isArray(input) ? (input as Json[]) : []) {
    const type = item.type ?? "message";
    if (type === "message") {
      const role = item.role === "developer" ? "system" : item.role;
      messages.push({ role, content: contentToChat(item.content) });
    } else if (type === "function_call") {
      const call = {
        id: item.call_id,
        type: "function",
        function: { name: flatName(item.namespace, item.name), arguments: item.arguments ?? "{}" },
      };
      const last = messages[messages.length - 1];
      // Parallel calls arrive as consecutive items; chat carries them on one assistant message.
      if (last?.role === "assistant" && Array.isArray(last.tool_calls)) last.tool_calls.push(call);
      else messages.push({ role: "assistant", content: null, tool_calls: [call] });
    } else if (type === "function_call_output") {
      messages.push({
        role: "tool",
        tool_call_id: item.call_id,
        content: typeof item.output === "string" ? item.output : JSON.stringify(item.output),
      });
    }
  }
  const out: Json = { model: upstreamModel, messages };
  if (body.max_output_tokens) out.max_tokens = body.max_output_tokens;
  if (body.temperature !== undefined && body.temperature !== null) out.temperature = body.temperature;
  if (body.top_p !== undefined && body.top_p !== null) out.top_p = body.top_p;
  if (body.user) out.user = body.user;
  if (body.parallel_tool_calls === false) out.parallel_tool_calls = false;
  const tools = flatFunctionTools(body.tools);
  if (tools.length) {
    out.tools = tools.map((t) => ({
      type: "function",
      function: { name: t.name, description: t.description, parameters: t.parameters ?? { type: "object", properties: {} } },
    }));
  }
  const tc = body.tool_choice;
  if (typeof tc === "string") out.tool_choice = tc;
  else if (tc?.type === "function" && tc.name) out.tool_choice = { type: "function", function: { name: flatName(tc.namespace, tc.name) } };
  if (body.text?.format?.type === "json_schema") {
    out.response_format = {
      type: "json_schema",
      json_schema: { name: body.text.format.name, schema: body.text.format.schema, strict: body.text.format.strict },
    };
  } else if (body.text?.format?.type === "json_object") out.response_format = { type: "json_object" };
  if (body.stream) {
    out.stream = true;
    out.stream_options = { include_usage: true };
  }
  return out;
}

const responseUsage = (input: number, output: number) => ({
  input_tokens: input,
  input_tokens_details: { cached_tokens: 0 },
  output_tokens: output,
  output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: input + output,
});

function baseResponse(id: string, model: string, request: Json, status: string): Json {
  return {
    id,
    object: "response",
    created_at: Math.floor(Date.now() / 1000),
    status,
    error: null,
    incomplete_details: null,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    model,
    output: [] as Json[],
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: false,
    temperature: request.temperature ?? 1,
    text: request.text ?? { format: { type: "text" } },
    tool_choice: request.tool_choice ?? "auto",
    tools: request.tools ?? [],
    top_p: request.top_p ?? 1,
    truncation: "disabled",
    usage: null,
    user: request.user ?? null,
    metadata: request.metadata ?? {},
  };
}

export function chatResponseToResponses(res: Json, model: string, request: Json): Json {
  const choice = res.choices?.[0] ?? {};
  const msg = choice.message ?? {};
  const out = baseResponse(`resp_${String(res.id ?? crypto.randomUUID()).replace(/^chatcmpl-/, "")}`, model, request, "completed");
  if (msg.content) {
    out.output.push({
      type: "message",
      id: `msg_${crypto.randomUUID()}`,
      status: "completed",
      role: "assistant",
      content: [{ type: "output_text", text: msg.content, annotations: [] }],
    });
  }
  for (const tc of msg.tool_calls ?? []) {
    out.output.push({
      type: "function_call",
      id: `fc_${tc.id}`,
      call_id: tc.id,
      ...splitName(request, tc.function?.name),
      arguments: tc.function?.arguments ?? "",
      status: "completed",
    });
  }
  if (choice.finish_reason === "length") {
    out.status = "incomplete";
    out.incomplete_details = { reason: "max_output_tokens" };
  }
  const { input, output } = tokenCountsOf("openai", res);
  out.usage = responseUsage(input, output);
  return out;
}

/** Chat completion chunks -> Responses stream events (response.created ... response.completed). */
export class ChatToResponsesStream implements StreamTranslator {
  private seq = 0;
  private response: Json;
  private started = false;
  private item: { kind: "message" | "call"; index: number; json: Json; toolIndex?: number } | undefined;
  private usage = new UsageTally("openai");
  private finish: string | null = null;
  private ended = false;

  constructor(
    model: string,
    private readonly request: Json,
    private readonly onUsage: (input: number, output: number) => void,
  ) {
    this.response = baseResponse(`resp_${crypto.randomUUID().replaceAll("-", "")}`, model, request, "in_progress");
  }

  private ev(type: string, payload: Json): string {
    return sseNamed(type, { type, sequence_number: this.seq++, ...payload });
  }

  private start(): string[] {
    this.started = true;
    return [
      this.ev("response.created", { response: { ...this.response, output: [] } }),
      this.ev("response.in_progress", { response: { ...this.response, output: [] } }),
    ];
  }

  private closeItem(): string[] {
    const it = this.item;
    if (!it) return [];
    this.item = undefined;
    it.json.status = "completed";
    this.response.output.push(it.json);
    if (it.kind === "message") {
      const part = it.json.content[0];
      return [
        this.ev("response.output_text.done", {
          item_id: it.json.id,
          output_index: it.index,
          content_index: 0,
          text: part.text,
          logprobs: [],
        }),
        this.ev("response.content_part.done", { item_id: it.json.id, output_index: it.index, content_index: 0, part }),
        this.ev("response.output_item.done", { output_index: it.index, item: it.json }),
      ];
    }
    return [
      this.ev("response.function_call_arguments.done", { item_id: it.json.id, output_index: it.index, arguments: it.json.arguments }),
      this.ev("response.output_item.done", { output_index: it.index, item: it.json }),
    ];
  }

  onEvent(ev: SseEvent): string[] {
    if (ev.data === "[DONE]") return this.end();
    let chunk: Json;
    try {
      chunk = JSON.parse(ev.data);
    } catch {
      return [];
    }
    const out = this.started ? [] : this.start();
    if (chunk.error) {
      this.ended = true;
      return [
        ...out,
        this.ev("response.failed", {
          response: {
            ...this.response,
            status: "failed",
            error: { code: "server_error", message: chunk.error.message ?? "upstream error" },
          },
        }),
      ];
    }
    this.usage.add(chunk);
    const choice = chunk.choices?.[0];
    if (!choice) return out;
    const delta = choice.delta ?? {};
    if (typeof delta.content === "string" && delta.content.length > 0) {
      if (this.item?.kind !== "message") {
        out.push(...this.closeItem());
        const json = {
          type: "message",
          id: `msg_${crypto.randomUUID().replaceAll("-", "")}`,
          status: "in_progress",
          role: "assistant",
          content: [] as Json[],
        };
        this.item = { kind: "message", index: this.response.output.length, json };
        out.push(this.ev("response.output_item.added", { output_index: this.item.index, item: { ...json, content: [] } }));
        json.content.push({ type: "output_text", text: "", annotations: [] });
        out.push(
          this.ev("response.content_part.added", {
            item_id: json.id,
            output_index: this.item.index,
            content_index: 0,
            part: { type: "output_text", text: "", annotations: [] },
          }),
        );
      }
      this.item!.json.content[0].text += delta.content;
      out.push(
        this.ev("response.output_text.delta", {
          item_id: this.item!.json.id,
          output_index: this.item!.index,
          content_index: 0,
          delta: delta.content,
          logprobs: [],
        }),
      );
    }
    for (const tc of delta.tool_calls ?? []) {
      if (tc.id || this.item?.kind !== "call" || this.item.toolIndex !== tc.index) {
        out.push(...this.closeItem());
        const callId = tc.id ?? `call_${crypto.randomUUID()}`;
        const json = {
          type: "function_call",
          id: `fc_${callId}`,
          call_id: callId,
          ...splitName(this.request, tc.function?.name),
          arguments: "",
          status: "in_progress",
        };
        this.item = { kind: "call", index: this.response.output.length, json, toolIndex: tc.index };
        out.push(this.ev("response.output_item.added", { output_index: this.item.index, item: { ...json } }));
      }
      const args = tc.function?.arguments;
      if (args) {
        this.item!.json.arguments += args;
        out.push(
          this.ev("response.function_call_arguments.delta", { item_id: this.item!.json.id, output_index: this.item!.index, delta: args }),
        );
      }
    }
    if (choice.finish_reason) this.finish = choice.finish_reason;
    return out;
  }

  private end(): string[] {
    if (this.ended) return [];
    this.ended = true;
    const out = this.started ? [] : this.start();
    out.push(...this.closeItem());
    const { input, output } = this.usage;
    this.onUsage(input, output);
    const incomplete = this.finish === "length";
    const final = {
      ...this.response,
      status: incomplete ? "incomplete" : "completed",
      incomplete_details: incomplete ? { reason: "max_output_tokens" } : null,
      usage: responseUsage(input, output),
    };
    out.push(this.ev(incomplete ? "response.incomplete" : "response.completed", { response: final }));
    return out;
  }

  onEnd(): string[] {
    return this.end();
  }
}

/** Chains two translators (provider -> chat -> caller) by re-reading the first one's events. */
export class ChainedStream implements StreamTranslator {
  private parser = new SseParser();
  constructor(
    private readonly first: StreamTranslator,
    private readonly second: StreamTranslator,
  ) {}

  private feed(texts: string[]): string[] {
    const out: string[] = [];
    for (const ev of this.parser.push(texts.join(""))) out.push(...this.second.onEvent(ev));
    return out;
  }

  onEvent(ev: SseEvent): string[] {
    return this.feed(this.first.onEvent(ev));
  }

  onEnd(): string[] {
    const out = this.feed(this.first.onEnd());
    return [...out, ...this.second.onEnd()];
  }
}
