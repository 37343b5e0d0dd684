// The model opencode's warm-up prompt talks to (warm-up.ts): a loopback stub inside the
// sandbox that answers every chat completion with "ok", so the warm-up runs opencode's whole first-turn
// path (the response, the step's end) without a model call leaving the sandbox before its bind. It is
// a provider of its own (`lap-warm-up`), never the agent's model (every opencode slot stays `lap/<model>`),
// and it stops when the warm-up ends: a call to it after that fails rather than answer.
export const WARM_UP_PROVIDER = "lap-warm-up";

const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: "warm-up", object: "chat.completion.chunk", created: 0, model: "warm-up", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

export function startWarmUpStub(): { url: string; stop(): void } {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (req) => {
      if (req.method !== "POST" || !new URL(req.url).pathname.endsWith("/chat/completions"))
        return new Response("not found", { status: 404 });
      await req.text();
      const body = `${chunk({ role: "assistant", content: "ok" })}${chunk({}, "stop")}data: [DONE]\n\n`;
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    },
  });
  return { url: `http://127.0.0.1:${server.port}/v1`, stop: () => server.stop(true) };
}

/** opencode's config with the stub as one more provider for the warm-up's model. */
export function withWarmUpProvider(config: Record<string, unknown>, url: string, model: string): Record<string, unknown> {
  return {
    ...config,
    enabled_providers: [...((config.enabled_providers as string[]) ?? []), WARM_UP_PROVIDER],
    provider: {
      ...(config.provider as Record<string, unknown>),
      [WARM_UP_PROVIDER]: {
        npm: "@ai-sdk/openai-compatible",
        name: "warm-up",
        options: { baseURL: url, apiKey: "none" },
        models: { [model]: { name: model } },
      },
    },
  };
}
