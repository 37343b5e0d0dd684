/** Shapes shared across the gateway. Request/response bodies are loose JSON: providers add fields freely. */
// biome-ignore lint/suspicious/noExplicitAny: provider bodies are loose JSON; providers add fields freely
export type Json = Record<string, any>;

/** The wire format a provider (or a caller) speaks. */
export type ProviderKind = "openai" | "anthropic";
/** The inbound API a caller used. */
export type InboundFormat = "chat" | "messages" | "responses" | "completions" | "embeddings";

/** One routable deployment: a model group name mapped to a concrete upstream model. */
export interface Deployment {
  id: string;
  /** The public model group name, e.g. `gpt-4o`, or a wildcard such as `openai/*`. */
  modelName: string;
  provider: ProviderKind;
  /** Model name sent upstream; for wildcard groups `*` is replaced by the matched suffix. */
  upstreamModel: string;
  apiBase: string;
  apiKey?: string;
  rpm?: number;
  tpm?: number;
  order: number;
  weight: number;
  timeoutMs?: number;
  inputCostPerToken?: number;
  outputCostPerToken?: number;
  modelInfo: Json;
  source: "config" | "database" | "env";
}

export type RoutingStrategy = "simple-shuffle" | "least-busy" | "latency-based" | "usage-based";

export interface RouterSettings {
  routingStrategy: RoutingStrategy;
  /** model group -> groups to try when it is exhausted. */
  fallbacks: Record<string, string[]>;
  allowedFails: number;
  cooldownSeconds: number;
  numRetries: number;
  timeoutMs: number;
}

export const DEFAULT_ROUTER_SETTINGS: RouterSettings = {
  routingStrategy: "simple-shuffle",
  fallbacks: {},
  allowedFails: 3,
  cooldownSeconds: 5,
  numRetries: 2,
  timeoutMs: 600_000,
};

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

/** What a single upstream attempt did; every attempt ends up in the spend log. */
export interface Attempt {
  deployment: string;
  model_group: string;
  status: number | "error" | "timeout";
  error?: string;
  ms: number;
  cooldown?: boolean;
}
