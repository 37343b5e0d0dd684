import { finalEventOf, passThroughStream, translateStream } from "../translate/sse";
import { UsageTally } from "../translate/usage";
import type { AdmittedCall } from "./call";
import type { Finish } from "./record";
import type { Served } from "./route";
import { STORE_LIMIT, storable } from "./stored-body";

/**
 * A streamed answer: passed through byte for byte when the caller speaks the provider's format (usage
 * read from the events that carry it), else translated event by event. The cost is only known at the
 * end (it is in the spend log); the header says 0 up front.
 */
export function respondStream(
  call: AdmittedCall,
  served: Served,
  finish: Finish,
  storePrompts: boolean,
  headers: Record<string, string>,
): Response {
  const { res, plan, deployment } = served;
  headers["x-litellm-response-cost"] = "0";
  headers["content-type"] = "text/event-stream; charset=utf-8";
  headers["cache-control"] = "no-cache";
  const usage = new UsageTally(deployment.provider);
  let ttftMs: number | null = null;
  let done = false;
  let complete = false;
  let captured: string | undefined = storePrompts ? "" : undefined;
  const hooks = {
    onFirstByte: () => {
      ttftMs = performance.now() - call.started;
    },
    onComplete: () => {
      complete = true;
    },
    finalEvent: finalEventOf(call.format),
    onDone: (error?: string) => {
      if (done) return;
      done = true;
      const responseBody = captured !== undefined ? storable(captured) : undefined;
      finish({ input: usage.input, output: usage.output, ttftMs, error, responseBody });
    },
    onOutput: storePrompts
      ? (text: string) => {
          if (captured!.length < STORE_LIMIT + 1) captured += text;
        }
      : undefined,
  };
  // A caller that hangs up mid-stream still releases its limits and gets a spend row; one that hangs
  // up after the stream's final event (as SDKs do once they read it) got the whole reply: a success.
  call.ctx.request.signal?.addEventListener("abort", () => hooks.onDone(complete ? undefined : "client disconnected"), { once: true });
  const upstreamBody = res.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() });
  const out = plan.translateStream
    ? translateStream(
        upstreamBody,
        plan.translateStream((input, output) => {
          usage.input = input;
          usage.output = output;
        }),
        hooks,
      )
    : passThroughStream(
        upstreamBody,
        (ev) => {
          try {
            usage.add(JSON.parse(ev.data));
          } catch {
            // a partial or foreign event: usage stays as it was
          }
        },
        hooks,
      );
  return new Response(out, { status: 200, headers });
}
