import { ApiError } from "../../lib/errors";
import { upstreamModelFor } from "../config/deployments";
import { callUpstream, UpstreamError } from "../providers/upstream";
import type { Router } from "../router/router";
import type { Principal } from "../../auth/model";
import type { Json } from "../types";
import { callerLimits, type LimitSources, modelRefusal } from "./model-access";

/**
 * Anthropic's /v1/messages/count_tokens (Claude Code calls it). An Anthropic deployment answers with
 * its real count; for an OpenAI-compatible one there is no such endpoint, so it is estimated at about
 * four characters per token and marked `estimated: true`.
 */
export async function countTokens(
  deps: LimitSources & { router: Router },
  body: Json,
  principal: Principal,
  request: Request,
): Promise<Json> {
  const model = body.model as string;
  const resolved = deps.router.resolve(model);
  const denied = modelRefusal(await callerLimits(deps, principal), model, resolved?.group);
  if (denied) throw denied;
  if (!resolved)
    throw new ApiError(400, "model_not_found", `Invalid model name passed in model=${model}`, [
      { field: "model", message: "no such model on this gateway" },
    ]);
  const anthropic = resolved.deployments.find((d) => d.provider === "anthropic");
  if (anthropic) {
    try {
      const res = await callUpstream(
        anthropic,
        "/v1/messages/count_tokens",
        { ...body, model: upstreamModelFor(anthropic, model) },
        request.headers,
        { timeoutMs: 30_000, signal: request.signal },
      );
      return (await res.json()) as Json;
    } catch (err) {
      if (!(err instanceof UpstreamError)) throw err;
      // Fall through to the estimate: counting is advisory, it should not fail the caller.
    }
  }
  const text = JSON.stringify([body.system ?? "", body.messages ?? [], body.tools ?? []]);
  return { input_tokens: Math.ceil(text.length / 4), estimated: true };
}
