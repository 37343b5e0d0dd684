import { crossOriginRedirect, fetchWithinOrigin, REDIRECT_REFUSED } from "../../net/origin-fetch";
import { redactUrl } from "../models/sealed-params";
import type { Deployment, Json } from "../types";

/** A provider answered with an error status, or could not be reached. */
export class UpstreamError extends Error {
  constructor(
    readonly status: number | "error" | "timeout",
    message: string,
    readonly retryAfter?: string,
  ) {
    super(message);
  }
  get retryable(): boolean {
    return (
      typeof this.status !== "number" ||
      this.status === 408 ||
      this.status === 409 ||
      this.status === 429 ||
      this.status >= 500 ||
      // A bad key or unknown model at one deployment may work at another of the same group.
      this.status === 401 ||
      this.status === 403 ||
      this.status === 404
    );
  }
}

const ANTHROPIC_VERSION = "2023-06-01";

/** Which forwarded headers matter upstream (the caller's own credentials never go upstream). */
export function upstreamRequest(d: Deployment, path: string, body: Json, callerHeaders: Headers): { url: string; init: RequestInit } {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: body.stream ? "text/event-stream" : "application/json",
  };
  if (d.provider === "anthropic") {
    if (d.apiKey) headers["x-api-key"] = d.apiKey;
    headers["anthropic-version"] = callerHeaders.get("anthropic-version") ?? ANTHROPIC_VERSION;
    const beta = callerHeaders.get("anthropic-beta");
    if (beta) headers["anthropic-beta"] = beta;
  } else if (d.apiKey) {
    headers.authorization = `Bearer ${d.apiKey}`;
  }
  return { url: `${d.apiBase}${path}`, init: { method: "POST", headers, body: JSON.stringify(body) } };
}

/** Reads an error body from either wire format into one message. */
async function errorMessage(res: Response): Promise<string> {
  const text = await res.text().catch(() => "");
  try {
    const j = JSON.parse(text);
    return j?.error?.message ?? j?.message ?? text.slice(0, 500);
  } catch {
    return text.slice(0, 500) || res.statusText;
  }
}

/**
 * POSTs to a deployment with a timeout that covers connecting and the response headers; for a stream
 * the caller's disconnect still aborts the body later. Error statuses become UpstreamError.
 */
export async function callUpstream(
  d: Deployment,
  path: string,
  body: Json,
  callerHeaders: Headers,
  opts: { timeoutMs: number; signal?: AbortSignal },
): Promise<Response> {
  const { url, init } = upstreamRequest(d, path, body, callerHeaders);
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new UpstreamError("timeout", `Deployment ${d.id} timed out after ${opts.timeoutMs} ms`)),
    opts.timeoutMs,
  );
  const onCallerAbort = () => controller.abort(new UpstreamError("error", "client disconnected"));
  opts.signal?.addEventListener("abort", onCallerAbort, { once: true });
  let res: Response;
  try {
    // The admin's api_base as configured; a redirect elsewhere is the provider's choice and is not followed.
    res = await fetchWithinOrigin(url, { ...init, signal: controller.signal });
  } catch (err) {
    clearTimeout(timer);
    if (controller.signal.aborted && controller.signal.reason instanceof UpstreamError) throw controller.signal.reason;
    throw new UpstreamError("error", `Could not reach ${redactUrl(d.apiBase)}: ${(err as Error).message}`);
  }
  clearTimeout(timer);
  if (crossOriginRedirect(res, url)) {
    await res.body?.cancel().catch(() => {});
    throw new UpstreamError(502, `Deployment ${d.id} at ${redactUrl(d.apiBase)}: ${REDIRECT_REFUSED}`);
  }
  if (!res.ok) throw new UpstreamError(res.status, await errorMessage(res), res.headers.get("retry-after") ?? undefined);
  return res;
}
