import type { Principal } from "../../auth/model";
import { ApiError } from "../../lib/errors";
import { headerSafe } from "../../lib/strings";
import { upstreamModelFor } from "../config/deployments";
import { admit } from "../keys/limits";
import type { VirtualKeyService } from "../keys/service";
import { redactUrl } from "../models/sealed-params";
import { callUpstream, UpstreamError } from "../providers/upstream";
import type { Router } from "../router/router";
import { priceOf, type Price } from "../spend/pricing";
import type { SpendWriter } from "../spend/writer";
import { finalEventOf, passThroughStream, translateStream } from "../translate/sse";
import type { Attempt, Deployment, InboundFormat, Json } from "../types";
import type { BudgetBook, BudgetState } from "../budgets/book";
import type { GatewayMetricsSink } from "../../metrics/recorders";
import type { Tracer } from "@opentelemetry/api";
import { traceAttempt, traceCall } from "./spans";
import { callerIdentity } from "./caller";
import { callerLimits, modelRefusal } from "./model-access";
import { planFor, usageOf, type Plan } from "./plan";

export interface ProxyDeps {
  router: Router;
  keys: VirtualKeyService;
  spend: SpendWriter;
  /** Team and user budgets (server/gateway/budgets/book.ts). */
  budgets: { teams: BudgetBook; users: BudgetBook };
  warnUnpriced: (model: string) => void;
  /** Keep request and response bodies (truncated) in the spend log. */
  storePrompts?: boolean;
  /** Counts calls, tokens, cost and refusals (server/metrics). */
  metrics?: GatewayMetricsSink;
  /** Spans of each call and its upstream attempts (server/tracing). */
  tracer?: Tracer;
}

const STORE_LIMIT = 16_384;
/** A body for the spend log: as it is when small, else a truncated preview. */
function storable(value: unknown): unknown {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  if (text.length <= STORE_LIMIT) return typeof value === "string" ? { text } : value;
  return { truncated: true, length: text.length, preview: text.slice(0, STORE_LIMIT) };
}

export interface CallContext {
  principal: Principal;
  request: Request;
  requestId: string;
  /**
   * A call LAP makes itself for a session (a generated title, server/sessions/titles): the spend row
   * names the session, its agent and this alias instead of a key (docs/sessions.md "Titles").
   */
  onBehalfOf?: { sessionId: string; agentId: string | null; keyAlias: string };
}

const ROUTE_OF: Record<InboundFormat, string> = {
  chat: "/v1/chat/completions",
  messages: "/v1/messages",
  responses: "/v1/responses",
  completions: "/v1/completions",
  embeddings: "/v1/embeddings",
};

interface Success {
  res: Response;
  plan: Plan;
  deployment: Deployment;
  upstreamModel: string;
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

/**
 * One gateway call: key limits, routing with retries and fallbacks, format translation, streaming
 * pass-through, and a spend row queued when the response is finished. Nothing here writes to the
 * database on the request path.
 */
export class GatewayProxy {
  private prices = new Map<string, Price>();

  constructor(private readonly deps: ProxyDeps) {}

  private price(d: Deployment, upstreamModel: string): Price {
    const k = `${d.id}|${upstreamModel}`;
    let p = this.prices.get(k);
    if (!p) {
      p = priceOf(d, upstreamModel, this.deps.warnUnpriced);
      this.prices.set(k, p);
    }
    return p;
  }

  clearPrices() {
    this.prices.clear();
  }

  /** One call, in its trace span (./spans.ts). */
  handle(format: InboundFormat, body: Json, ctx: CallContext): Promise<Response> {
    const model = typeof body.model === "string" ? body.model.slice(0, 200) : "";
    return traceCall(
      this.deps.tracer,
      { "gen_ai.request.model": model, "lap.gateway.route": ROUTE_OF[format], "lap.gateway.stream": body.stream === true },
      () => this.handleCall(format, body, ctx),
    );
  }

  private async handleCall(format: InboundFormat, body: Json, ctx: CallContext): Promise<Response> {
    const started = performance.now();
    const startTime = new Date();
    const model = body.model as string;
    const { principal, request } = ctx;
    // Who pays: the key's (or caller's) team and user, each with its own budget (LiteLLM: a team's key
    // is held to the team's budget, not its user's; the user's spend still counts).
    const limits = await callerLimits(this.deps, principal);
    const { key: state, team, user } = limits;
    const who = { teamId: limits.teamId, userId: limits.userId };
    const stream = body.stream === true && format !== "embeddings";
    const caller = {
      requestId: ctx.requestId,
      ...(ctx.onBehalfOf ? { keyHash: null, keyId: null, keyAlias: ctx.onBehalfOf.keyAlias } : callerIdentity(principal, state)),
      teamId: team ? who.teamId : null,
      userId: user ? who.userId : null,
      route: ROUTE_OF[format],
      stream: stream ? 1 : 0,
      sessionId: ctx.onBehalfOf?.sessionId ?? state?.row.sessionId ?? null,
      agentId: ctx.onBehalfOf ? ctx.onBehalfOf.agentId : (state?.row.agentId ?? null),
      endUser: typeof body.user === "string" ? body.user : null,
      startTime,
      ...(this.deps.storePrompts ? { requestBody: storable(body) } : {}),
    };
    /**
     * A call refused before any provider is asked (unknown model, a model the key may not use, a
     * budget or rate limit) is logged too, with why: the log then explains an agent that failed.
     */
    const resolved = this.deps.router.resolve(model);
    const refuse = (err: ApiError, modelGroup: string): never => {
      this.deps.spend.push({
        ...caller,
        modelGroup,
        status: "failure",
        httpStatus: err.status,
        error: err.message.slice(0, 2000),
        latencyMs: performance.now() - started,
        endTime: new Date(),
      });
      // A model nobody serves is not a label (callers choose it): it counts as `unknown`.
      this.deps.metrics?.refused(err.code, resolved?.group ?? null, caller.keyAlias);
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
    let estimate = 0;
    if (state?.row.maxBudget != null || team?.maxBudget != null || user?.maxBudget != null) {
      const d = resolved.deployments[0]!;
      const p = this.price(d, upstreamModelFor(d, model));
      const inputTokens = Number(request.headers.get("content-length") ?? 0) / 4;
      const outputTokens = Number(body.max_tokens ?? body.max_completion_tokens ?? body.max_output_tokens ?? 1024);
      estimate = inputTokens * p.input + outputTokens * p.output;
    }
    const releases: Array<(cost: number, tokens: number) => void> = [];
    try {
      if (state) releases.push(admit(state, Date.now(), state.row.maxBudget !== null ? estimate : 0));
      const admitBudget = (book: BudgetBook, s: BudgetState | null, enforce: boolean) => {
        if (!s) return;
        const done = book.admit(s, Date.now(), enforce && s.maxBudget !== null ? estimate : 0, enforce);
        releases.push(done);
      };
      admitBudget(this.deps.budgets.teams, team, true);
      admitBudget(this.deps.budgets.users, user, !team);
    } catch (err) {
      for (const r of releases) r(0, 0);
      // A budget or rate limit refused the call before any provider was asked: logged with why.
      if (err instanceof ApiError) refuse(err, resolved.group);
      throw err;
    }
    const release = releases.length ? (cost: number, tokens: number) => releases.forEach((r) => r(cost, tokens)) : undefined;

    const timeoutMs = Math.min(
      this.deps.router.routerSettings.timeoutMs,
      typeof body.timeout === "number" ? body.timeout * 1000 : Infinity,
    );
    const routed = await this.deps.router
      .route<Success>(
        model,
        async (d, group) => {
          const upstreamModel = upstreamModelFor(d, group === resolved.group ? model : group);
          const plan = planFor(format, d.provider, body, upstreamModel, model);
          const attributes = {
            "lap.gateway.model_group": group,
            "lap.gateway.deployment": d.id,
            "gen_ai.system": d.provider,
            "gen_ai.request.model": upstreamModel,
          };
          try {
            const value = await traceAttempt(this.deps.tracer, attributes, async () => ({
              res: await callUpstream(d, plan.path, plan.body, request.headers, {
                timeoutMs: d.timeoutMs ?? timeoutMs,
                signal: request.signal,
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
        { allowFallbacks: !state?.row.sessionId },
      )
      .catch((err) => {
        release?.(0, 0);
        throw err;
      });

    const base = { ...caller, modelGroup: routed.modelGroup ?? resolved.group, attempts: routed.attempts as Attempt[] };

    if (!routed.outcome.ok) {
      release?.(0, 0);
      const o = routed.outcome;
      const err = o.error.startsWith("No deployments available")
        ? new ApiError(429, "no_deployments_available", o.error, undefined, {
            "retry-after": String(this.deps.router.cooldownRemaining(resolved.deployments)),
          })
        : o.status === 400 && o.error.startsWith("Invalid model name")
          ? new ApiError(400, "model_not_found", o.error, [{ field: "model", message: "no such model" }])
          : upstreamFailure(o.status, o.error);
      const row = {
        ...base,
        status: "failure" as const,
        httpStatus: err.status,
        error: err.message.slice(0, 2000),
        latencyMs: performance.now() - started,
        endTime: new Date(),
        ...(this.deps.storePrompts ? { responseBody: { error: err.message } } : {}),
      };
      this.deps.spend.push(row);
      this.deps.metrics?.call(row);
      throw err;
    }

    const { res, plan, deployment, upstreamModel } = routed.outcome.value;
    const price = this.price(deployment, upstreamModel);
    const headers: Record<string, string> = {
      "x-request-id": ctx.requestId,
      // Names from callers and config: made header-safe, since one non-Latin-1 character would make `new Response` throw.
      "x-litellm-model-group": headerSafe(base.modelGroup),
      "x-litellm-model-id": headerSafe(deployment.id),
      "x-litellm-attempted-retries": String(Math.max(0, routed.attempts.length - 1)),
    };
    let responseBody: unknown;
    const finish = (input: number, output: number, ttftMs: number | null, error?: string) => {
      const cost = input * price.input + output * price.output;
      release?.(cost, input + output);
      this.deps.router.addTokens(deployment, input + output);
      const row = {
        ...base,
        deployment: deployment.id,
        provider: deployment.provider,
        apiBase: redactUrl(deployment.apiBase),
        promptTokens: input,
        completionTokens: output,
        totalTokens: input + output,
        spend: cost,
        priced: price.known,
        latencyMs: performance.now() - started,
        ttftMs,
        status: error ? "failure" : "success",
        httpStatus: 200,
        error: error ?? null,
        endTime: new Date(),
        ...(responseBody !== undefined ? { responseBody } : {}),
      };
      this.deps.spend.push(row);
      this.deps.metrics?.call(row);
      return cost;
    };

    if (!stream) {
      let text: string;
      let json: Json;
      try {
        text = await res.text();
        json = JSON.parse(text);
      } catch (err) {
        finish(0, 0, null, `invalid upstream response: ${(err as Error).message}`);
        throw new ApiError(502, "upstream_error", "The provider sent a response that is not JSON");
      }
      const usage = usageOf(deployment.provider, json);
      const outText = plan.translateJson ? JSON.stringify(plan.translateJson(json)) : text;
      if (this.deps.storePrompts) responseBody = storable(plan.translateJson ? JSON.parse(outText) : json);
      const cost = finish(usage.input, usage.output, null);
      headers["x-litellm-response-cost"] = String(cost);
      headers["content-type"] = "application/json";
      return new Response(outText, { status: 200, headers });
    }

    // Streams: the cost is only known at the end (it is in the spend log); the header says 0 up front.
    headers["x-litellm-response-cost"] = "0";
    headers["content-type"] = "text/event-stream; charset=utf-8";
    headers["cache-control"] = "no-cache";
    let ttft: number | null = null;
    let input = 0;
    let output = 0;
    let done = false;
    let complete = false;
    let captured: string | undefined = this.deps.storePrompts ? "" : undefined;
    const hooks = {
      onFirstByte: () => {
        ttft = performance.now() - started;
      },
      onComplete: () => {
        complete = true;
      },
      finalEvent: finalEventOf(format),
      onDone: (error?: string) => {
        if (done) return;
        done = true;
        if (captured !== undefined) responseBody = storable(captured);
        finish(input, output, ttft, error);
      },
      onOutput: this.deps.storePrompts
        ? (text: string) => {
            if (captured!.length < STORE_LIMIT + 1) captured += text;
          }
        : undefined,
    };
    // A caller that hangs up mid-stream still releases its limits and gets a spend row; one that hangs
    // up after the stream's final event (as SDKs do once they read it) got the whole reply: a success.
    request.signal?.addEventListener("abort", () => hooks.onDone(complete ? undefined : "client disconnected"), { once: true });
    const upstreamBody = res.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() });
    const out = plan.translateStream
      ? translateStream(
          upstreamBody,
          plan.translateStream((i, o) => {
            input = i;
            output = o;
          }),
          hooks,
        )
      : passThroughStream(
          upstreamBody,
          (ev) => {
            try {
              const e = JSON.parse(ev.data);
              if (deployment.provider === "anthropic") {
                const u = e.usage ?? e.message?.usage;
                if (u?.input_tokens) input = u.input_tokens + (u.cache_read_input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0);
                if (u?.output_tokens !== undefined) output = u.output_tokens;
              } else if (e.usage) {
                input = e.usage.prompt_tokens ?? 0;
                output = e.usage.completion_tokens ?? 0;
              }
            } catch {
              // a partial or foreign event: usage stays as it was
            }
          },
          hooks,
        );
    return new Response(out, { status: 200, headers });
  }
}
