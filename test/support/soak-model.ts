/**
 * Stands for an OpenAI-compatible LLM provider under a soak (bench/soak): `POST /v1/chat/completions`
 * with `stream: true`, in the real SSE chunk format, answering many conversations at once with no
 * shared script. A conversation whose last message is the user's gets one tool call (bash, a short
 * sleep, so turns spend time in the sandbox); after a tool result it streams `pieces` text deltas
 * `pieceDelayMs` apart. Every delta names its request and position (`r<request>.<k> `), so a reader
 * of the event log can tell a lost delta (a hole in a request's positions) from a duplicated one.
 */
const chunk = (delta: unknown, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: "chatcmpl-soak", object: "chat.completion.chunk", created: 0, model: "soak", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

export interface SoakModel {
  url: string;
  requests(): number;
  stop(): Promise<void>;
}

export function startSoakModel(opts: { pieces: number; pieceDelayMs: number; toolSleepSeconds: number }): SoakModel {
  let requests = 0;
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch(req) {
      if (req.method !== "POST" || !new URL(req.url).pathname.endsWith("/chat/completions"))
        return Response.json({ error: { message: "not found" } }, { status: 404 });
      const body = (await req.json()) as { messages: Array<{ role: string }> };
      const id = ++requests;
      const askTool = body.messages.at(-1)?.role === "user";
      const enc = new TextEncoder();
      const stream = new ReadableStream<Uint8Array>({
        async start(controller) {
          const send = (s: string) => {
            try {
              controller.enqueue(enc.encode(s));
              return true;
            } catch {
              return false; // the client went away
            }
          };
          send(chunk({ role: "assistant", content: "" }));
          if (askTool) {
            const args = JSON.stringify({ command: `echo tool r${id}; sleep ${opts.toolSleepSeconds}` });
            send(chunk({ tool_calls: [{ index: 0, id: `call_r${id}`, type: "function", function: { name: "bash", arguments: args } }] }));
            send(chunk({}, "tool_calls"));
          } else {
            for (let k = 0; k < opts.pieces; k++) {
              if (req.signal.aborted) return;
              await Bun.sleep(opts.pieceDelayMs);
              if (!send(chunk({ content: `r${id}.${k} ` }))) return;
            }
            send(chunk({}, "stop"));
          }
          send("data: [DONE]\n\n");
          try {
            controller.close();
          } catch {}
        },
      });
      return new Response(stream, { headers: { "content-type": "text/event-stream" } });
    },
  });
  return { url: `http://127.0.0.1:${server.port}/v1`, requests: () => requests, stop: () => server.stop(true) };
}
