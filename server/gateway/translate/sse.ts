/** Server-sent events: an incremental parser and the encoders for both dialects we emit. */
import type { InboundFormat } from "../types";

export interface SseEvent {
  event?: string;
  data: string;
}

/** Feeds text in, gets complete events out; tolerates CRLF and events split across chunks. */
export class SseParser {
  private buffer = "";

  /** `only`: skip (without parsing) events whose text does not contain it. */
  push(text: string, only?: string): SseEvent[] {
    this.buffer += text.includes("\r") ? text.replace(/\r\n?/g, "\n") : text;
    const out: SseEvent[] = [];
    let start = 0;
    let idx: number;
    while ((idx = this.buffer.indexOf("\n\n", start)) >= 0) {
      const block = this.buffer.slice(start, idx);
      start = idx + 2;
      if (only !== undefined && !block.includes(only)) continue;
      const ev = parseBlock(block);
      if (ev) out.push(ev);
    }
    if (start > 0) this.buffer = this.buffer.slice(start);
    return out;
  }

  end(): SseEvent[] {
    const rest = this.buffer.trim();
    this.buffer = "";
    const ev = rest ? parseBlock(rest) : undefined;
    return ev ? [ev] : [];
  }
}

function parseBlock(block: string): SseEvent | undefined {
  let event: string | undefined;
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("data:")) data.push(line.slice(line[5] === " " ? 6 : 5));
    else if (line.startsWith("event:")) event = line.slice(6).trim();
  }
  if (data.length === 0) return undefined;
  return { event, data: data.join("\n") };
}

export const sseData = (obj: unknown) => `data: ${JSON.stringify(obj)}\n\n`;
export const sseNamed = (type: string, obj: unknown) => `event: ${type}\ndata: ${JSON.stringify(obj)}\n\n`;
export const SSE_DONE = "data: [DONE]\n\n";

/** Turns one SSE stream into another, event by event; used when the caller and provider formats differ. */
export interface StreamTranslator {
  onEvent(ev: SseEvent): string[];
  onEnd(): string[];
}

export interface StreamHooks {
  onFirstByte(): void;
  /** Sees the text sent to the caller (only set when prompts are stored). */
  onOutput?: (text: string) => void;
  /**
   * The caller has been sent the stream's final event (`finalEvent`): a hang-up from here on lost
   * nothing, as SDKs close the connection once they read it.
   */
  onComplete?: () => void;
  /** The final event of the caller's dialect, at the start of a line (finalEventOf). */
  finalEvent?: RegExp;
  onDone(error?: string): void;
}

/**
 * The event that ends a stream in the dialect the caller speaks, matched at the start of a line (a
 * model's text inside a JSON string never has a raw newline before it): `data: [DONE]` for chat and
 * legacy completions, Anthropic's `message_stop`, the Responses API's terminal `response.*` events.
 */
export function finalEventOf(format: InboundFormat): RegExp {
  if (format === "messages") return /(?:^|\n)(?:event: message_stop|data: \{"type":"message_stop")/;
  if (format === "responses") return /(?:^|\n)event: response\.(?:completed|incomplete|failed)/;
  return /(?:^|\n)data: \[DONE\]/;
}

/** Watches the text sent to a caller for its stream's final event (which may be split across chunks). */
class FinalEventWatch {
  private tail = "";
  seen = false;

  constructor(private readonly pattern: RegExp | undefined) {}

  push(text: string): boolean {
    if (this.seen || !this.pattern) return this.seen;
    const window = this.tail + text;
    this.seen = this.pattern.test(window);
    this.tail = window.slice(-64);
    return this.seen;
  }
}

/**
 * Reads `body` only when the caller is ready for more and hands each chunk to `onChunk`, which enqueues
 * what the caller gets. A pull source instead of `pipeThrough(new TransformStream())`: Bun runs the pipe
 * machinery in JavaScript per chunk, which cost more than the gateway's own work on a stream. A caller
 * that goes away cancels the upstream body.
 */
function relay(
  body: ReadableStream<Uint8Array>,
  /** Returns whether it enqueued anything: a pull that enqueues nothing must read on, or the stream stalls. */
  onChunk: (chunk: Uint8Array, controller: ReadableStreamDefaultController<Uint8Array>) => boolean,
  onEnd: (controller: ReadableStreamDefaultController<Uint8Array>) => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) {
            onEnd(controller);
            controller.close();
            return;
          }
          if (onChunk(value, controller)) return;
        }
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}

/** Upstream bytes -> parsed events -> translated events -> bytes, chunk by chunk (nothing is buffered). */
export function translateStream(
  body: ReadableStream<Uint8Array>,
  translator: StreamTranslator,
  hooks: StreamHooks,
): ReadableStream<Uint8Array> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  const parser = new SseParser();
  const final = new FinalEventWatch(hooks.finalEvent);
  let first = true;
  const emit = (out: string[], controller: ReadableStreamDefaultController<Uint8Array>): boolean => {
    if (!out.length) return false;
    const text = out.join("");
    hooks.onOutput?.(text);
    controller.enqueue(encoder.encode(text));
    if (!final.seen && final.push(text)) hooks.onComplete?.();
    return true;
  };
  return relay(
    body,
    (chunk, controller) => {
      if (first) {
        first = false;
        hooks.onFirstByte();
      }
      const out: string[] = [];
      for (const ev of parser.push(decoder.decode(chunk, { stream: true }))) out.push(...translator.onEvent(ev));
      return emit(out, controller);
    },
    (controller) => {
      const out: string[] = [];
      for (const ev of parser.end()) out.push(...translator.onEvent(ev));
      out.push(...translator.onEnd());
      emit(out, controller);
      hooks.onDone();
    },
  );
}

/**
 * Same format on both sides: bytes go through untouched; a side parser only reads events that
 * carry usage, so the spend log gets token counts without re-encoding anything.
 */
export function passThroughStream(
  body: ReadableStream<Uint8Array>,
  onUsageEvent: (ev: SseEvent) => void,
  hooks: StreamHooks,
): ReadableStream<Uint8Array> {
  const decoder = new TextDecoder();
  const parser = new SseParser();
  const final = new FinalEventWatch(hooks.finalEvent);
  let first = true;
  return relay(
    body,
    (chunk, controller) => {
      if (first) {
        first = false;
        hooks.onFirstByte();
      }
      controller.enqueue(chunk);
      const text = decoder.decode(chunk, { stream: true });
      hooks.onOutput?.(text);
      for (const ev of parser.push(text, '"usage"')) if (ev.data.includes('"usage"')) onUsageEvent(ev);
      if (!final.seen && final.push(text)) hooks.onComplete?.();
      return true;
    },
    () => {
      for (const ev of parser.end()) if (ev.data.includes('"usage"')) onUsageEvent(ev);
      hooks.onDone();
    },
  );
}
