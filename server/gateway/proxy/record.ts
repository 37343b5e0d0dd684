import type { ApiError } from "../../lib/errors";
import type { GatewayMetricsSink } from "../../metrics/recorders";
import { redactUrl } from "../models/sealed-params";
import type { Router } from "../router/router";
import type { Price } from "../spend/pricing";
import type { SpendWriter } from "../spend/writer";
import type { TokenCounts } from "../translate/usage";
import type { AdmittedCall, CallerColumns, RoutedColumns } from "./call";
import type { Served } from "./route";

/**
 * The last stage of a call: its spend row (queued, written off the request path by the SpendWriter),
 * its metrics, and the release of the limits admission reserved. Every call gets exactly one row,
 * refused, failed or answered, so the log explains an agent that failed.
 */
export interface RecordDeps {
  spend: SpendWriter;
  router: Router;
  metrics?: GatewayMetricsSink;
  storePrompts?: boolean;
}

const errorText = (err: ApiError) => err.message.slice(0, 2000);

/**
 * A call refused before any provider was asked (unknown model, a model the caller may not use, a
 * budget or rate limit). `servedGroup` is the model group for metrics: a model nobody serves is not a
 * label (callers choose it), so it counts as `unknown`.
 */
export function recordRefusal(
  deps: RecordDeps,
  call: { caller: CallerColumns; started: number },
  err: ApiError,
  modelGroup: string,
  servedGroup: string | null,
): void {
  deps.spend.push({
    ...call.caller,
    modelGroup,
    status: "failure",
    httpStatus: err.status,
    error: errorText(err),
    latencyMs: performance.now() - call.started,
    endTime: new Date(),
  });
  deps.metrics?.refused(err.code, servedGroup, call.caller.keyAlias);
}

/** A call no deployment answered (after retries and fallbacks). */
export function recordFailure(deps: RecordDeps, call: AdmittedCall, columns: RoutedColumns, err: ApiError): void {
  call.release?.(0, 0);
  const row = {
    ...columns,
    status: "failure" as const,
    httpStatus: err.status,
    error: errorText(err),
    latencyMs: performance.now() - call.started,
    endTime: new Date(),
    ...(deps.storePrompts ? { responseBody: { error: err.message } } : {}),
  };
  deps.spend.push(row);
  deps.metrics?.call(row);
}

/** How an answered call ended: its tokens, time to first token (streams), an error mid-answer, the stored body. */
export interface Completion extends TokenCounts {
  ttftMs: number | null;
  error?: string;
  responseBody?: unknown;
}

/** Records an answered call once its answer is finished; returns the call's cost. */
export type Finish = (done: Completion) => number;

export function completionRecorder(deps: RecordDeps, call: AdmittedCall, columns: RoutedColumns, served: Served, price: Price): Finish {
  const { deployment } = served;
  return ({ input, output, ttftMs, error, responseBody }) => {
    const cost = input * price.input + output * price.output;
    call.release?.(cost, input + output);
    deps.router.addTokens(deployment, input + output);
    const row = {
      ...columns,
      deployment: deployment.id,
      provider: deployment.provider,
      apiBase: redactUrl(deployment.apiBase),
      promptTokens: input,
      completionTokens: output,
      totalTokens: input + output,
      spend: cost,
      priced: price.known,
      latencyMs: performance.now() - call.started,
      ttftMs,
      status: error ? "failure" : "success",
      httpStatus: 200,
      error: error ?? null,
      endTime: new Date(),
      ...(responseBody !== undefined ? { responseBody } : {}),
    };
    deps.spend.push(row);
    deps.metrics?.call(row);
    return cost;
  };
}
