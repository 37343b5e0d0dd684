/**
 * Stands for the Anthropic API (api.anthropic.com), which tests cannot reach. Speaks the real wire
 * format of POST /v1/messages: x-api-key and anthropic-version headers, content blocks (text,
 * tool_use), stop reasons, usage, the SSE event sequence (message_start, content_block_start/delta/stop
 * with text_delta and input_json_delta, message_delta, message_stop, ping), Anthropic's error body,
 * and POST /v1/messages/count_tokens.
 * Tools: when the request offers tools and the last user turn holds no tool_result, it calls the first tool.
 */
import { FakeScript, pieces, sleep, tokensOf } from "./fake-llm-script";

export interface FakeAnthropic {
  url: string;
  script: FakeScript;
  stop(): void;
}

const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  404: "not_found_error",
  429: "rate_limit_error",
  529: "overloaded_error",
};
const errorResponse = (status: number, message: string, headers: Record<string, string> = {}) =>
  Response.json({ type: "error", error: { type: ERROR_TYPES[status] ?? "api_error", message } }, { status, headers });

const textOf = (content: any): string =>
  typeof content === "string"
    ? content
    : (content ?? [])
        .filter((b: any) => b.type === "text")
        .map((b: any) => b.text)
        .join(" ");

export function startFakeAnthropic(opts: { apiKey?: string } = {}): FakeAnthropic {
  const script = new FakeScript();
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const path = new URL(req.url).pathname;
      if (opts.apiKey && req.headers.get("x-api-key") !== opts.apiKey) return errorResponse(401, "invalid x-api-key");
      if (!req.headers.get("anthropic-version")) return errorResponse(400, "anthropic-version: header is required");
      if (path === "/v1/messages/count_tokens" && req.method === "POST") {
        const body: any = await req.json();
        if (script.recordRequests) script.requests.push({ path, headers: Object.fromEntries(req.headers), body });
        return Response.json({ input_tokens: tokensOf(JSON.stringify(body.messages) + JSON.stringify(body.system ?? "")) });
      }
      if (path !== "/v1/messages" || req.method !== "POST") return errorResponse(404, `Unknown path ${path}`);
      const body: any = await req.json();
      if (script.recordRequests) script.requests.push({ path, headers: Object.fromEntries(req.headers), body });
      if (script.delayMs) await sleep(script.delayMs);
      if (script.holdResponse) await script.holdResponse;
      const failure = script.nextFailure();
      if (failure) return errorResponse(failure.status, failure.message ?? `scripted failure ${failure.status}`, failure.headers);
      if (!body.model || typeof body.max_tokens !== "number" || !Array.isArray(body.messages)) {
        return errorResponse(400, "model, max_tokens and messages are required");
      }
      for (let i = 1; i < body.messages.length; i++) {
        if (body.messages[i].role === body.messages[i - 1].role)
          return errorResponse(400, "messages: roles must alternate between user and assistant");
      }
      return messages(body, script);
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, script, stop: () => server.stop(true) };
}

function messages(body: any, script: FakeScript): Response {
  const last = body.messages[body.messages.length - 1];
  const lastBlocks: any[] = Array.isArray(last.content) ? last.content : [];
  const toolResult = lastBlocks.find((b) => b.type === "tool_result");
  const tools: any[] = body.tools ?? [];
  const callTool = tools.length > 0 && body.tool_choice?.type !== "none" && !toolResult;
  const id = `msg_${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;
  const text =
    script.reply ??
    (toolResult
      ? `The tool said: ${textOf(toolResult.content) || String(toolResult.content)}`
      : `Hello! You said: ${textOf(last.content)}`);
  const input = { city: "Paris", unit: "celsius" };
  const inputTokens = tokensOf(
    JSON.stringify(body.messages) + (typeof body.system === "string" ? body.system : JSON.stringify(body.system ?? "")),
  );
  const outputTokens = callTool ? tokensOf(JSON.stringify(input)) : tokensOf(text);
  const toolId = `toolu_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const stopReason = callTool ? "tool_use" : outputTokens > body.max_tokens ? "max_tokens" : "end_turn";
  const content = callTool ? [{ type: "tool_use", id: toolId, name: tools[0].name, input }] : [{ type: "text", text }];
  if (!body.stream) {
    return Response.json({
      id,
      type: "message",
      role: "assistant",
      model: body.model,
      content,
      stop_reason: stopReason,
      stop_sequence: null,
      usage: { input_tokens: inputTokens, output_tokens: outputTokens },
    });
  }
  const ev = (type: string, data: any) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  let firstPiece = -1;
  const events = [
    ev("message_start", {
      message: {
        id,
        type: "message",
        role: "assistant",
        model: body.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: inputTokens, output_tokens: 1 },
      },
    }),
    ev("ping", {}),
  ];
  if (callTool) {
    const json = JSON.stringify(input);
    events.push(ev("content_block_start", { index: 0, content_block: { type: "tool_use", id: toolId, name: tools[0].name, input: {} } }));
    for (const part of [json.slice(0, 9), json.slice(9)])
      events.push(ev("content_block_delta", { index: 0, delta: { type: "input_json_delta", partial_json: part } }));
  } else {
    events.push(ev("content_block_start", { index: 0, content_block: { type: "text", text: "" } }));
    firstPiece = events.length;
    for (const p of pieces(text)) events.push(ev("content_block_delta", { index: 0, delta: { type: "text_delta", text: p } }));
  }
  events.push(ev("content_block_stop", { index: 0 }));
  events.push(ev("message_delta", { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: outputTokens } }));
  events.push(ev("message_stop", {}));
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      for (const [i, e] of events.entries()) {
        if (script.chunkDelayMs) await sleep(script.chunkDelayMs);
        controller.enqueue(encoder.encode(e));
        if (i === firstPiece && script.holdAfterFirstPiece) await script.holdAfterFirstPiece;
      }
      controller.close();
    },
  });
  return new Response(stream, { headers: { "content-type": "text/event-stream" } });
}
