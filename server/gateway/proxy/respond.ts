import { headerSafe } from "../../lib/strings";
import type { AdmittedCall } from "./call";
import type { Finish } from "./record";
import { respondJson } from "./respond-json";
import { respondStream } from "./respond-stream";
import type { Routed, Served } from "./route";

/**
 * The third stage of a call: the upstream answer in the caller's format, as one JSON body or as a
 * stream, with LiteLLM's response headers. `finish` records the call (./record.ts) once the answer is
 * complete: at once for JSON, at the stream's end (or the caller's hang-up) for streams.
 */
export function respond(
  call: AdmittedCall,
  routed: Routed & { served: Served },
  finish: Finish,
  storePrompts: boolean,
): Promise<Response> | Response {
  const headers: Record<string, string> = {
    "x-request-id": call.ctx.requestId,
    // Names from callers and config: made header-safe, since one non-Latin-1 character would make `new Response` throw.
    "x-litellm-model-group": headerSafe(routed.modelGroup),
    "x-litellm-model-id": headerSafe(routed.served.deployment.id),
    "x-litellm-attempted-retries": String(Math.max(0, routed.attempts.length - 1)),
  };
  return call.stream
    ? respondStream(call, routed.served, finish, storePrompts, headers)
    : respondJson(routed.served, finish, storePrompts, headers);
}
