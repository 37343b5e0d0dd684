/**
 * Stands for an OpenAI-compatible provider (OpenAI, vLLM, Ollama, OpenRouter, an upstream LiteLLM),
 * which tests cannot reach. Speaks the real wire format: /v1/chat/completions (JSON and SSE chunks with
 * tool call deltas, `stream_options.include_usage`, `data: [DONE]`), /v1/completions, /v1/embeddings,
 * /v1/models, and OpenAI's error body. Scriptable failures and delays via `script`.
 * Tools: when the request offers tools and the last message is not a tool result, it calls the first tool.
 */
import { FakeScript, pieces, sleep, tokensOf } from "./fake-llm-script";

export interface FakeOpenAI {
  url: string;
  script: FakeScript;
  /** Bearer key it accepts (undefined: any). */
  apiKey?: string;
  stop(): void;
}

const lastUserText = (messages: any[]): string => {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.role === "user")
      return typeof m.content === "string"
        ? m.content
        : (m.content ?? [])
            .filter((p: any) => p.type === "text")
            .map((p: any) => p.text)
            .join(" ");
  }
  return "";
};

const errorResponse = (status: number, message: string, headers: Record<string, string> = {}) =>
  Response.json(
    {
      error: {
        message,
        type: status === 429 ? "rate_limit_error" : status >= 500 ? "server_error" : "invalid_request_error",
        param: null,
        code: null,
      },
    },
    { status, headers },
  );

export function startFakeOpenAI(opts: { apiKey?: string } = {}): FakeOpenAI {
  const script = new FakeScript();
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const path = new URL(req.url).pathname;
      if (opts.apiKey && req.headers.get("authorization") !== `Bearer ${opts.apiKey}`)
        return errorResponse(401, "Incorrect API key provided");
      if (req.method === "GET" && path === "/v1/models")
        return Response.json({ object: "list", data: [{ id: "fake-gpt", object: "model", created: 0, owned_by: "fake" }] });
      const body: any = req.method === "POST" ? await req.json() : {};
      if (script.recordRequests) script.requests.push({ path, headers: Object.fromEntries(req.headers), body });
      if (script.delayMs) await sleep(script.delayMs);
      if (script.holdResponse) await script.holdResponse;
      const failure = script.nextFailure();
      if (failure) return errorResponse(failure.status, failure.message ?? `scripted failure ${failure.status}`, failure.headers);
      if (path === "/v1/chat/completions") return chat(body, script);
      if (path === "/v1/completions") {
        const text = script.reply ?? `completed: ${String(body.prompt).slice(0, 40)}`;
        const usage = { prompt_tokens: tokensOf(String(body.prompt)), completion_tokens: tokensOf(text), total_tokens: 0 };
        usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
        return Response.json({
          id: "cmpl-fake",
          object: "text_completion",
          created: 1,
          model: body.model,
          choices: [{ index: 0, text, finish_reason: "stop", logprobs: null }],
          usage,
        });
      }
      if (path === "/v1/embeddings") {
        const inputs: string[] = Array.isArray(body.input) ? body.input : [body.input];
        const tokens = inputs.reduce((n, s) => n + tokensOf(String(s)), 0);
        return Response.json({
          object: "list",
          model: body.model,
          data: inputs.map((s, index) => ({ object: "embedding", index, embedding: [String(s).length / 100, 0.5, -0.25] })),
          usage: { prompt_tokens: tokens, total_tokens: tokens },
        });
      }
      return errorResponse(404, `Unknown path ${path}`);
    },
  });
  return { url: `http://127.0.0.1:${server.port}/v1`, script, apiKey: opts.apiKey, stop: () => server.stop(true) };
}

function chat(body: any, script: FakeScript): Response {
  if (!body.model || !Array.isArray(body.messages)) return errorResponse(400, "model and messages are required");
  const messages: any[] = body.messages;
  const last = messages[messages.length - 1];
  const promptTokens = tokensOf(JSON.stringify(messages));
  const tools: any[] = body.tools ?? [];
  const callTool = tools.length > 0 && body.tool_choice !== "none" && last?.role !== "tool";
  const id = `chatcmpl-${crypto.randomUUID().slice(0, 12)}`;
  const created = Math.floor(Date.now() / 1000);
  const text =
    script.reply ??
    (last?.role === "tool"
      ? `The tool said: ${typeof last.content === "string" ? last.content : JSON.stringify(last.content)}`
      : `Hello! You said: ${lastUserText(messages)}`);
  const toolName = tools[0]?.function?.name;
  const toolArgs = JSON.stringify({ city: "Paris", unit: "celsius" });
  const completionTokens = callTool ? tokensOf(toolArgs) : tokensOf(text);
  const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
  const finish = callTool ? "tool_calls" : body.max_tokens && completionTokens > body.max_tokens ? "length" : "stop";
  const toolCallId = `call_${crypto.randomUUID().slice(0, 8)}`;
  if (!body.stream) {
    const message = callTool
      ? {
          role: "assistant",
          content: null,
          tool_calls: [{ id: toolCallId, type: "function", function: { name: toolName, arguments: toolArgs } }],
          refusal: null,
        }
      : { role: "assistant", content: text, refusal: null };
    return Response.json({
      id,
      object: "chat.completion",
      created,
      model: body.model,
      choices: [{ index: 0, message, finish_reason: finish, logprobs: null }],
      usage,
      system_fingerprint: "fp_fake",
    });
  }
  const chunk = (delta: any, finish_reason: string | null = null) =>
    `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model: body.model, choices: [{ index: 0, delta, finish_reason, logprobs: null }] })}\n\n`;
  const events: string[] = [chunk({ role: "assistant", content: "" })];
  let firstPiece = -1;
  if (callTool) {
    events.push(chunk({ tool_calls: [{ index: 0, id: toolCallId, type: "function", function: { name: toolName, arguments: "" } }] }));
    for (const part of [toolArgs.slice(0, 10), toolArgs.slice(10)])
      events.push(chunk({ tool_calls: [{ index: 0, function: { arguments: part } }] }));
  } else {
    firstPiece = events.length;
    for (const p of pieces(text)) events.push(chunk({ content: p }));
  }
  events.push(chunk({}, finish));
  if (body.stream_options?.include_usage) {
    events.push(`data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model: body.model, choices: [], usage })}\n\n`);
  }
  events.push("data: [DONE]\n\n");
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
