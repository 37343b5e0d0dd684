import type { Json, ProviderKind } from "../types";

/** Tokens a call used, as the spend log counts them: Anthropic's cached input tokens are input too. */
export interface TokenCounts {
  input: number;
  output: number;
}

/**
 * The token counts one provider message reports, in the provider's wire format: a JSON answer, or one
 * stream event (Anthropic's `message_start` and `message_delta`, OpenAI's final usage chunk). A count
 * the message does not carry is absent, so a stream's counts are its events' counts merged in order
 * (UsageTally). This is the only place LAP reads usage: the proxy's JSON and pass-through replies and
 * every translator (./chat-to-anthropic.ts, ./anthropic-to-chat.ts, ./responses.ts) call it.
 */
export function usageOf(wire: ProviderKind, message: Json): Partial<TokenCounts> {
  if (wire === "anthropic") {
    const u = message?.usage ?? message?.message?.usage;
    if (!u || typeof u !== "object") return {};
    const counts: Partial<TokenCounts> = {};
    // A `message_delta` that only updates the output count carries no input count (or a zero one).
    if (u.input_tokens || u.cache_read_input_tokens || u.cache_creation_input_tokens)
      counts.input = (u.input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0);
    if (typeof u.output_tokens === "number") counts.output = u.output_tokens;
    return counts;
  }
  const u = message?.usage;
  if (!u || typeof u !== "object") return {};
  return { input: u.prompt_tokens ?? u.input_tokens ?? 0, output: u.completion_tokens ?? u.output_tokens ?? 0 };
}

/** The token counts of a whole JSON answer (none reported: zero). */
export function tokenCountsOf(wire: ProviderKind, answer: Json): TokenCounts {
  const u = usageOf(wire, answer);
  return { input: u.input ?? 0, output: u.output ?? 0 };
}

/** A stream's token counts so far: each event's counts replace the ones it carries. */
export class UsageTally implements TokenCounts {
  input = 0;
  output = 0;

  constructor(private readonly wire: ProviderKind) {}

  add(event: Json): void {
    const u = usageOf(this.wire, event);
    if (u.input !== undefined) this.input = u.input;
    if (u.output !== undefined) this.output = u.output;
  }
}
