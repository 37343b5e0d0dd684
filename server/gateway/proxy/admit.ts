import { ApiError } from "../../lib/errors";
import type { BudgetBook, BudgetState } from "../budgets/book";
import { upstreamModelFor } from "../config/deployments";
import { admit } from "../keys/limits";
import type { Router } from "../router/router";
import type { InboundFormat, Json } from "../types";
import { type AdmittedCall, type CallContext, type CallerColumns, type Release, ROUTE_OF } from "./call";
import { callerIdentity } from "./caller";
import { type CallerLimits, callerLimits, type LimitSources, modelRefusal } from "./model-access";
import type { PriceCache } from "./prices";
import { type RecordDeps, recordRefusal } from "./record";
import { storable } from "./stored-body";

export interface AdmitDeps extends LimitSources, RecordDeps {
  router: Router;
  prices: PriceCache;
}

/**
 * The first stage of a call: who pays (the key's or caller's team and user, each with its own budget;
 * as in LiteLLM a team's key is held to the team's budget, not its user's, while the user's spend still
 * counts), whether they may call the model, and a reservation on every limit. A refusal is recorded
 * (./record.ts) and thrown before any provider is asked.
 */
export async function admitCall(deps: AdmitDeps, format: InboundFormat, body: Json, ctx: CallContext): Promise<AdmittedCall> {
  const started = performance.now();
  const startTime = new Date();
  const model = body.model as string;
  const limits = await callerLimits(deps, ctx.principal);
  const stream = body.stream === true && format !== "embeddings";
  const caller = callerColumns(deps, limits, format, body, ctx, stream, startTime);
  const resolved = deps.router.resolve(model);
  const refuse = (err: ApiError, modelGroup: string): never => {
    recordRefusal(deps, { caller, started }, err, modelGroup, resolved?.group ?? null);
    throw err;
  };
  const denied = modelRefusal(limits, model, resolved?.group);
  if (denied) refuse(denied, model);
  if (!resolved) {
    return refuse(
      new ApiError(
        400,
        "model_not_found",
        `Invalid model name passed in model=${model}. Call GET /v1/models to see the available models.`,
        [{ field: "model", message: "no such model on this gateway" }],
      ),
      model,
    );
  }
  let release: Release | undefined;
  try {
    release = reserve(deps, limits, estimatedCost(deps, limits, resolved.deployments, model, ctx.request, body));
  } catch (err) {
    // A budget or rate limit refused the call before any provider was asked: logged with why.
    if (err instanceof ApiError) refuse(err, resolved.group);
    throw err;
  }
  return { format, body, model, ctx, started, stream, caller, resolved, allowFallbacks: !limits.key?.row.sessionId, release };
}

/** The spend row's caller columns: the key (or the session a LAP-made call is for), team, user, route. */
function callerColumns(
  deps: AdmitDeps,
  limits: CallerLimits,
  format: InboundFormat,
  body: Json,
  ctx: CallContext,
  stream: boolean,
  startTime: Date,
): CallerColumns {
  const { key: state, team, user } = limits;
  return {
    requestId: ctx.requestId,
    ...(ctx.onBehalfOf ? { keyHash: null, keyId: null, keyAlias: ctx.onBehalfOf.keyAlias } : callerIdentity(ctx.principal, state)),
    teamId: team ? limits.teamId : null,
    userId: user ? limits.userId : null,
    route: ROUTE_OF[format],
    stream: stream ? 1 : 0,
    sessionId: ctx.onBehalfOf?.sessionId ?? state?.row.sessionId ?? null,
    agentId: ctx.onBehalfOf ? ctx.onBehalfOf.agentId : (state?.row.agentId ?? null),
    endUser: typeof body.user === "string" ? body.user : null,
    startTime,
    ...(deps.storePrompts ? { requestBody: storable(body) } : {}),
  };
}

/**
 * What the call may cost, reserved against budgets while it runs so parallel calls cannot all spend
 * the last cent: about four bytes of request per input token, and the output the caller allows (1024
 * when it says nothing), at the first deployment's price. Zero when no budget applies.
 */
function estimatedCost(
  deps: AdmitDeps,
  limits: CallerLimits,
  deployments: AdmittedCall["resolved"]["deployments"],
  model: string,
  request: Request,
  body: Json,
): number {
  if (limits.key?.row.maxBudget == null && limits.team?.maxBudget == null && limits.user?.maxBudget == null) return 0;
  const d = deployments[0]!;
  const p = deps.prices.get(d, upstreamModelFor(d, model));
  const inputTokens = Number(request.headers.get("content-length") ?? 0) / 4;
  const outputTokens = Number(body.max_tokens ?? body.max_completion_tokens ?? body.max_output_tokens ?? 1024);
  return inputTokens * p.input + outputTokens * p.output;
}

/** Admits the call on the key, its team and its user (each may refuse by throwing); all or none stay reserved. */
function reserve(deps: AdmitDeps, limits: CallerLimits, estimate: number): Release | undefined {
  const { key: state, team, user } = limits;
  const releases: Release[] = [];
  const admitBudget = (book: BudgetBook, s: BudgetState | null, enforce: boolean) => {
    if (!s) return;
    releases.push(book.admit(s, Date.now(), enforce && s.maxBudget !== null ? estimate : 0, enforce));
  };
  try {
    if (state) releases.push(admit(state, Date.now(), state.row.maxBudget !== null ? estimate : 0));
    admitBudget(deps.budgets.teams, team, true);
    // A team's key is held to the team's budget; the user's is enforced only when there is no team.
    admitBudget(deps.budgets.users, user, !team);
  } catch (err) {
    for (const r of releases) r(0, 0);
    throw err;
  }
  return releases.length ? (cost, tokens) => releases.forEach((r) => r(cost, tokens)) : undefined;
}
