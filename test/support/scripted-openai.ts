/**
 * Stands for an OpenAI-compatible LLM provider (or LAP's gateway in front of one) that a test cannot
 * reach: `POST /v1/chat/completions` with `stream: true`, answered in the real SSE chunk format
 * (`data: {choices:[{delta:{content|tool_calls}}]}` … `data: [DONE]`), following a script; without
 * `stream: true` the step is one `chat.completion` JSON body (a model's Test button asks that way).
 * Each request takes the next step of the script; every request is recorded (model, auth, messages).
 */

export type ScriptStep =
  /**
   * `id` names a call as the provider would; by default every call gets a fresh `call_<n>`. Some
   * OpenAI-compatible servers number calls per response (`call_0`, `call_1` … each time), which a
   * script reproduces by giving the same ids in several steps.
   */
  | {
      text?: string;
      thinking?: string;
      toolCalls?: Array<{ name: string; arguments: Record<string, unknown>; id?: string }>;
      /** Streams these deltas instead of `text`'s two halves, `pieceDelayMs` apart (a slow model); stops when the client goes away. */
      pieces?: string[];
      pieceDelayMs?: number;
    }
  /** Streams `text`, then holds the response open until the client goes away (for interrupts). */
  | { hang: true; text?: string }
  | { status: number; error: string };

export interface RecordedRequest {
  model: string;
  authorization: string | null;
  messages: Array<{ role: string; content: unknown; tool_calls?: unknown; tool_call_id?: string }>;
  tools: Array<{ function: { name: string } }>;
}

export interface ScriptedOpenAI {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Replaces the script (steps are consumed in order; past the end it answers "done"). */
  script(steps: ScriptStep[]): void;
  stop(): Promise<void>;
}

const chunk = (delta: unknown, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: "chatcmpl-scripted", object: "chat.completion.chunk", created: 0, model: "scripted", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

export function startScriptedOpenAI(): ScriptedOpenAI {
  let steps: ScriptStep[] = [];
  const requests: RecordedRequest[] = [];
  let callCounter = 0;
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch(req) {
      const url = new URL(req.url);
      if (req.method !== "POST" || !url.pathname.endsWith("/chat/completions"))
        return Response.json({ error: { message: "not found" } }, { status: 404 });
      const body = (await req.json()) as RecordedRequest & { stream?: boolean; stream_options?: { include_usage?: boolean } };
      requests.push({
        model: body.model,
        authorization: req.headers.get("authorization"),
        messages: body.messages,
        tools: body.tools ?? [],
      });
      const step = steps.shift() ?? { text: "done" };
      if ("status" in step)
        return Response.json({ error: { message: step.error, type: "invalid_request_error" } }, { status: step.status });
      if (body.stream !== true) {
        const calls = ("toolCalls" in step ? step.toolCalls : undefined) ?? [];
        const message = {
          role: "assistant",
          content: ("text" in step ? step.text : undefined) ?? "",
          ...(calls.length
            ? {
                tool_calls: calls.map((c) => ({
                  id: c.id ?? `call_${++callCounter}`,
                  type: "function",
                  function: { name: c.name, arguments: JSON.stringify(c.arguments) },
                })),
              }
            : {}),
        };
        return Response.json({
          id: "chatcmpl-scripted",
          object: "chat.completion",
          created: 0,
          model: "scripted",
          choices: [{ index: 0, message, finish_reason: calls.length ? "tool_calls" : "stop" }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        });
      }
      const enc = new TextEncoder();
      const stream = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(enc.encode(chunk({ role: "assistant", content: "" })));
          if ("thinking" in step && step.thinking) controller.enqueue(enc.encode(chunk({ reasoning_content: step.thinking })));
          const text = step.text ?? "";
          // Two deltas per text, so clients must concatenate.
          const half = Math.ceil(text.length / 2);
          const slow = "pieces" in step && step.pieces ? step : null;
          for (const piece of slow?.pieces ?? [text.slice(0, half), text.slice(half)]) {
            if (req.signal.aborted) return;
            if (slow?.pieceDelayMs) await Bun.sleep(slow.pieceDelayMs);
            try {
              if (piece) controller.enqueue(enc.encode(chunk({ content: piece })));
            } catch {
              return; // the client went away
            }
          }
          if ("hang" in step) {
            await new Promise<void>((resolve) => req.signal.addEventListener("abort", () => resolve(), { once: true }));
            try {
              controller.close();
            } catch {}
            return;
          }
          const calls = step.toolCalls ?? [];
          calls.forEach((c, index) => {
            const args = JSON.stringify(c.arguments);
            const id = c.id ?? `call_${++callCounter}`;
            controller.enqueue(
              enc.encode(chunk({ tool_calls: [{ index, id, type: "function", function: { name: c.name, arguments: args.slice(0, 5) } }] })),
            );
            controller.enqueue(enc.encode(chunk({ tool_calls: [{ index, function: { arguments: args.slice(5) } }] })));
          });
          controller.enqueue(enc.encode(chunk({}, calls.length ? "tool_calls" : "stop")));
          // As OpenAI does when asked (stream_options.include_usage, which LAP's gateway always sets): a last chunk with usage.
          if (body.stream_options?.include_usage) {
            const usage = {
              prompt_tokens: 10,
              completion_tokens: Math.max(1, Math.ceil(text.length / 4)),
              total_tokens: 10 + Math.max(1, Math.ceil(text.length / 4)),
            };
            controller.enqueue(
              enc.encode(
                `data: ${JSON.stringify({ id: "chatcmpl-scripted", object: "chat.completion.chunk", created: 0, model: "scripted", choices: [], usage })}\n\n`,
              ),
            );
          }
          controller.enqueue(enc.encode("data: [DONE]\n\n"));
          controller.close();
        },
      });
      return new Response(stream, { headers: { "content-type": "text/event-stream" } });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}/v1`,
    port: server.port!,
    requests,
    script(s) {
      steps = [...s];
    },
    stop: async () => {
      await server.stop(true);
    },
  };
}
