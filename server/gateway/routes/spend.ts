import { Elysia } from "elysia";
import { requireAdmin, type AuthGuard } from "../../http/auth-guard";
import type { Database } from "../../db/client";
import { z } from "zod";
import { spendLogsQuery, spendLogView, spendReportQuery, spendReportView, spendUsageQuery } from "../model";
import type { GatewayService } from "../service";
import { dailyReport, spendLogs } from "../spend/query";
import { usageReport } from "../spend/usage";

/** Spend logs and the daily report. Admin only; rows reach the database within a flush interval. */
export function spendRoutes(deps: { gateway: GatewayService; guard: AuthGuard; database: Database }) {
  return new Elysia({ prefix: "/spend", detail: { tags: ["LLM gateway spend"] } })
    .use(deps.guard)
    .onTransform(requireAdmin)
    .get("/logs", ({ query }) => spendLogs(deps.database, query), {
      query: spendLogsQuery,
      response: z.array(spendLogView),
      detail: { summary: "Spend rows, newest first (filter by api_key, key_alias, model, session_id, start_date, end_date)" },
    })
    .get("/report", async ({ query }) => ({ data: await dailyReport(deps.database, query), queue: deps.gateway.spend.stats }), {
      query: spendReportQuery,
      response: spendReportView,
      detail: { summary: "Daily spend by key and model group" },
    })
    .get("/usage", ({ query }) => usageReport(deps.database, query), {
      query: spendUsageQuery,
      detail: {
        summary:
          "Usage for the dashboard's Usage page: requests, tokens, cost and errors per UTC day, model, key and agent, in a date range",
      },
    });
}
