import type { Tracer } from "@opentelemetry/api";
import type { GatewayMetricsSink } from "../../metrics/recorders";
import type { BudgetBook } from "../budgets/book";
import type { VirtualKeyService } from "../keys/service";
import type { Router } from "../router/router";
import type { SpendWriter } from "../spend/writer";
import type { InboundFormat, Json } from "../types";
import { type AdmitDeps, admitCall } from "./admit";
import { type CallContext, ROUTE_OF, type RoutedColumns } from "./call";
import { PriceCache } from "./prices";
import { completionRecorder, recordFailure } from "./record";
import { respond } from "./respond";
import { routeCall } from "./route";
import { traceCall } from "./spans";

export type { CallContext } from "./call";

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

/**
 * One gateway call, in four stages: admit (caller, key, model access, budget: ./admit.ts) → route and
 * call the upstream (retries, fallbacks, translation: ./route.ts) → respond, JSON or stream
 * (./respond.ts) → record (spend row, metrics, limits released: ./record.ts). Nothing here writes to
 * the database on the request path: spend rows are queued.
 */
export class GatewayProxy {
  private readonly prices: PriceCache;
  private readonly stages: AdmitDeps;

  constructor(private readonly deps: ProxyDeps) {
    this.prices = new PriceCache(deps.warnUnpriced);
    this.stages = { ...deps, prices: this.prices };
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
    const call = await admitCall(this.stages, format, body, ctx);
    const routed = await routeCall(this.deps, call).catch((err) => {
      call.release?.(0, 0);
      throw err;
    });
    const columns: RoutedColumns = { ...call.caller, modelGroup: routed.modelGroup, attempts: routed.attempts };
    if (!routed.ok) {
      recordFailure(this.stages, call, columns, routed.error);
      throw routed.error;
    }
    const { deployment, upstreamModel } = routed.served;
    const finish = completionRecorder(this.stages, call, columns, routed.served, this.prices.get(deployment, upstreamModel));
    return respond(call, routed, finish, this.deps.storePrompts === true);
  }
}
