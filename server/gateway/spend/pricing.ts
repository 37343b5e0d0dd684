import type { Deployment } from "../types";

/** USD per million tokens [input, output] for common models; config `input_cost_per_token` overrides. */
const PER_MILLION: Record<string, [number, number]> = {
  "gpt-4o": [2.5, 10],
  "gpt-4o-mini": [0.15, 0.6],
  "gpt-4.1": [2, 8],
  "gpt-4.1-mini": [0.4, 1.6],
  "gpt-4.1-nano": [0.1, 0.4],
  "gpt-5": [1.25, 10],
  "gpt-5-mini": [0.25, 2],
  "gpt-5-nano": [0.05, 0.4],
  "gpt-5-codex": [1.25, 10],
  o3: [2, 8],
  "o3-mini": [1.1, 4.4],
  "o4-mini": [1.1, 4.4],
  "gpt-3.5-turbo": [0.5, 1.5],
  "gpt-4-turbo": [10, 30],
  "text-embedding-3-small": [0.02, 0],
  "text-embedding-3-large": [0.13, 0],
  "text-embedding-ada-002": [0.1, 0],
  "claude-opus-4-5": [5, 25],
  "claude-opus-4-1": [15, 75],
  "claude-opus-4": [15, 75],
  "claude-sonnet-4-5": [3, 15],
  "claude-sonnet-4": [3, 15],
  "claude-3-7-sonnet": [3, 15],
  "claude-3-5-sonnet": [3, 15],
  "claude-haiku-4-5": [1, 5],
  "claude-3-5-haiku": [0.8, 4],
  "claude-3-haiku": [0.25, 1.25],
};
const KEYS_LONGEST_FIRST = Object.keys(PER_MILLION).sort((a, b) => b.length - a.length);

export interface Price {
  input: number;
  output: number;
  known: boolean;
}

/**
 * Per-token prices of a deployment: its own overrides, else the table by the longest matching prefix
 * of the upstream model (so `claude-sonnet-4-5-20250929` finds `claude-sonnet-4-5`), else zero.
 */
export function priceOf(d: Deployment, upstreamModel: string, warn: (model: string) => void): Price {
  if (d.inputCostPerToken !== undefined || d.outputCostPerToken !== undefined) {
    return { input: d.inputCostPerToken ?? 0, output: d.outputCostPerToken ?? 0, known: true };
  }
  const name = upstreamModel.includes("/") ? upstreamModel.slice(upstreamModel.lastIndexOf("/") + 1) : upstreamModel;
  const key = KEYS_LONGEST_FIRST.find((k) => name === k || name.startsWith(`${k}-`) || name.startsWith(`${k}:`));
  if (!key) {
    warn(upstreamModel);
    return { input: 0, output: 0, known: false };
  }
  const [i, o] = PER_MILLION[key]!;
  return { input: i / 1e6, output: o / 1e6, known: true };
}

/** Unknown models cost 0, with one warning per model per process. */
export function warnOnce(log: (msg: string) => void) {
  const seen = new Set<string>();
  return (model: string) => {
    if (seen.has(model)) return;
    seen.add(model);
    log(`No price for model ${model}: its calls are recorded at cost 0 (set input_cost_per_token/output_cost_per_token in model_info)`);
  };
}
