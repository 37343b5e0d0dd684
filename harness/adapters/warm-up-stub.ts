// The model a warm pre-start's throwaway prompt talks to (opencode/warm-up.ts, openclaw/warm-up.ts): a
// loopback stub inside the sandbox that answers every chat completion with "ok", so the warm-up runs the
// CLI's whole first-turn path (the request, the streamed response, the turn's end) without a model call
// leaving the sandbox before its bind. Each CLI reaches it as a provider of its own (`lap-warm-up`),
// never as the agent's model, and it stops when the warm-up ends: a call to it after that fails.
export const WARM_UP_PROVIDER = "lap-warm-up";

const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: "warm-up", object: "chat.completion.chunk", created: 0, model: "warm-up", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

export type WarmUpStub = {
  url: string;
  /** How many chat completions it answered (the warm-up reached the model path). */
  answered(): number;
  stop(): void;
};

export function startWarmUpStub(): WarmUpStub {
  let answered = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (req) => {
      if (req.method !== "POST" || !new URL(req.url).pathname.endsWith("/chat/completions"))
        return new Response("not found", { status: 404 });
      await req.text();
      answered += 1;
      const body = `${chunk({ role: "assistant", content: "ok" })}${chunk({}, "stop")}data: [DONE]\n\n`;
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    },
  });
  return { url: `http://127.0.0.1:${server.port}/v1`, answered: () => answered, stop: () => server.stop(true) };
}
