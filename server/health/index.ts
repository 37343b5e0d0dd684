import { Elysia } from "elysia";
import type { Database } from "../db/client";
import { checkReadiness } from "./service";

/** Liveliness: the process answers. Readiness: the database answers and migrations are applied. */
export function healthRoutes(deps: { database: Database }) {
  return new Elysia({ prefix: "/health", detail: { tags: ["Health"] } })
    .get("/liveliness", () => ({ status: "ok" as const }), { detail: { summary: "Process is up" } })
    .get(
      "/readiness",
      async ({ set }) => {
        const readiness = await checkReadiness(deps.database);
        if (!readiness.ready) set.status = 503;
        return { status: readiness.ready ? "ready" : "not_ready", ...readiness };
      },
      { detail: { summary: "Database reachable and migrations applied (503 otherwise)" } },
    );
}
