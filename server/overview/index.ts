import { Elysia } from "elysia";
import type { Database } from "../db/client";
import { requireAdmin, type AuthGuard } from "../http/auth-guard";
import { overviewQuery } from "./model";
import { OverviewService } from "./service";

/** `GET /api/overview`: the dashboard's home (admins: it spans every team). */
export function overviewRoutes(deps: { database: Database; guard: AuthGuard }) {
  const overview = new OverviewService({ database: deps.database });
  return new Elysia({ prefix: "/api/overview", detail: { tags: ["Operations"] } })
    .use(deps.guard)
    .onTransform(requireAdmin)
    .get("", ({ query }) => overview.get(query.hours), {
      query: overviewQuery,
      detail: {
        summary:
          "Active sessions, sessions and turns over time, spend by model and agent, gateway latency and errors, sandbox pool, pending approvals",
      },
    });
}
