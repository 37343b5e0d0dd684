/** Scripting shared by the fake providers: queued failures, delays, and a log of what they received. */
export interface ScriptedFailure {
  status: number;
  message?: string;
  headers?: Record<string, string>;
}

export class FakeScript {
  /** Answers the next N requests with these failures, in order. */
  failures: ScriptedFailure[] = [];
  /** Every request fails with this status while set. */
  alwaysFail: ScriptedFailure | undefined;
  /** Delay before the response headers. */
  delayMs = 0;
  /** While set, every response waits for this before its headers: a test can prove the caller did not wait. */
  holdResponse: Promise<void> | undefined;
  /** Delay between streamed chunks. */
  chunkDelayMs = 0;
  /**
   * While set, a stream stops after its first piece of text and sends the rest only when this settles:
   * a test can prove the caller got that piece while the provider was still answering.
   */
  holdAfterFirstPiece: Promise<void> | undefined;
  /** Text the assistant answers with; default echoes the last user text. */
  reply: string | undefined;
  requests: { path: string; headers: Record<string, string>; body: any }[] = [];
  recordRequests = true;

  nextFailure(): ScriptedFailure | undefined {
    return this.failures.shift() ?? this.alwaysFail;
  }

  reset() {
    this.failures = [];
    this.alwaysFail = undefined;
    this.delayMs = 0;
    this.holdResponse = undefined;
    this.chunkDelayMs = 0;
    this.holdAfterFirstPiece = undefined;
    this.reply = undefined;
    this.requests = [];
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Deterministic token counts: about four characters per token, as a tokenizer would roughly give. */
export const tokensOf = (text: string) => Math.max(1, Math.ceil(text.length / 4));

/** Splits a reply into streamed pieces of a word or so. */
export const pieces = (text: string) => text.match(/\S+\s*/g) ?? [text];
