// opencode's warm-up model (warm-up.ts): the shared loopback stub (../warm-up-stub.ts) as one more
// opencode provider, `lap-warm-up`; every opencode model slot stays `lap/<model>`.
import { WARM_UP_PROVIDER } from "../warm-up-stub.ts";

export { startWarmUpStub, WARM_UP_PROVIDER } from "../warm-up-stub.ts";

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
