import type { Tracer } from "@opentelemetry/api";
import { ApiError } from "../../lib/errors";
import { upstreamModelFor } from "../config/deployments";
import { callUpstream, UpstreamError } from "../providers/upstream";
import type { AttemptOutcome, Router } from "../router/router";
import type { Attempt, Deployment } from "../types";
import type { AdmittedCall } from "./call";
import { type Plan, planFor } from "./plan";
import { traceAttempt } from "./spans";

/** The upstream answer a call got (its body not read yet), with what produced it. */
export interface Served {
  res: Response;
  plan: Plan;
  deployment: Deployment;
  upstreamModel: string;
}

export type Routed = { modelGroup: string; attempts: Attempt[] } & ({ ok: true; served: Served } | { ok: false; error: ApiError });

/**
 * The second stage of a call: the router picks deployments (retries, fallbacks, cooldowns:
 * ../router/router.ts), and each attempt translates the body for its provider (./plan.ts) and sends
 * it, in its own span. A failure is mapped to what the caller sees.
 */
export async function routeCall(deps: { router: Router; tracer?: Tracer }, call: AdmittedCall): Promise<Routed> {
  const { router } = deps;
  const { body, model, resolved, ctx } = call;
  const timeoutMs = Math.min(router.routerSettings.timeoutMs, typeof body.timeout === "number" ? body.timeout * 1000 : Infinity);
  const routed = await router.route<Served>(
    model,
    async (d, group): Promise<AttemptOutcome<Served>> => {
      const upstreamModel = upstreamModelFor(d, group === resolved.group ? model : group);
      const plan = planFor(call.format, d.provider, body, upstreamModel, model);
      const attributes = {
        "lap.gateway.model_group": group,
        "lap.gateway.deployment": d.id,
        "gen_ai.system": d.provider,
        "gen_ai.request.model": upstreamModel,
      };
      try {
        const value = await traceAttempt(deps.tracer, attributes, async () => ({
          res: await callUpstream(d, plan.path, plan.body, ctx.request.headers, {
            timeoutMs: d.timeoutMs ?? timeoutMs,
            signal: ctx.request.signal,
          }),
          plan,
          deployment: d,
          upstreamModel,
        }));
        return { ok: true, value };
      } catch (err) {
        if (err instanceof UpstreamError) return { ok: false, status: err.status, error: err.message, retryable: err.retryable };
        throw err;
      }
    },
    { allowFallbacks: call.allowFallbacks },
  );
  const done = { modelGroup: routed.modelGroup ?? resolved.group, attempts: routed.attempts };
  const o = routed.outcome;
  if (o.ok) return { ...done, ok: true, served: o.value };
  const error = o.error.startsWith("No deployments available")
    ? new ApiError(429, "no_deployments_available", o.error, undefined, {
        "retry-after": String(router.cooldownRemaining(resolved.deployments)),
      })
    : o.status === 400 && o.error.startsWith("Invalid model name")
      ? new ApiError(400, "model_not_found", o.error, [{ field: "model", message: "no such model" }])
      : upstreamFailure(o.status, o.error);
  return { ...done, ok: false, error };
}

/** Maps a provider failure to what the caller sees (its own key is fine; the provider's answer is not). */
function upstreamFailure(status: number | "error" | "timeout", message: string, retryAfter?: string): ApiError {
  if (status === "timeout") return new ApiError(408, "timeout", message);
  if (status === "error") return new ApiError(502, "upstream_unreachable", message);
  if (status === 401 || status === 403)
    return new ApiError(502, "upstream_auth_error", `The provider refused LAP's credentials: ${message}`);
  if (status === 429) return new ApiError(429, "upstream_rate_limited", message, undefined, { "retry-after": retryAfter ?? "1" });
  if (status === 400 || status === 404 || status === 413 || status === 422)
    return new ApiError(status, "upstream_invalid_request", message);
  return new ApiError(status >= 500 ? status : 502, "upstream_error", message);
}
