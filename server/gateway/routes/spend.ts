import { Elysia } from "elysia";
import { requireAdmin, type AuthGuard } from "../../http/auth-guard";
import type { Database } from "../../db/client";
import { spendLogsQuery, spendReportQuery } from "../model";
import type { GatewayService } from "../service";
import { dailyReport, spendLogs } from "../spend/query";

/** Spend logs and the daily report. Admin only; rows reach the database within a flush interval. */
export function spendRoutes(deps: { gateway: GatewayService; guard: AuthGuard; database: Database }) {
  return new Elysia({ prefix: "/spend", detail: { tags: ["LLM gateway spend"] } })
    .use(deps.guard)
    .onTransform(requireAdmin)
    .get("/logs", ({ query }) => spendLogs(deps.database, query), {
      query: spendLogsQuery,
      detail: { summary: "Spend rows, newest first (filter by api_key, key_alias, model, session_id, start_date, end_date)" },
    })
    .get("/report", async ({ query }) => ({ data: await dailyReport(deps.database, query), queue: deps.gateway.spend.stats }), {
      query: spendReportQuery,
      detail: { summary: "Daily spend by key and model group" },
    });
}
