import { Elysia } from "elysia";
import type { Principal } from "../auth/model";
import { scopeOf } from "../auth/policy";
import type { AuthGuard } from "../http/auth-guard";
import {
  approvalIdParams,
  approvalListView,
  approvalSummaryView,
  approvalView,
  decisionBody,
  decisionView,
  listApprovalsQuery,
} from "./model";
import type { ApprovalService } from "./service";

/** Who decided, as shown next to the outcome (an API key's label, or the master key). */
export const principalName = (p: Principal) => (p.via === "master_key" ? "master key" : p.label || p.keyId || p.userId || p.via);

/** Approvals: members see their teams' sessions' and decide those they may act on (server/auth/policy.ts); admins all. */
export function approvalRoutes(deps: { approvals: ApprovalService; guard: AuthGuard }) {
  return new Elysia({ prefix: "/api/approvals", detail: { tags: ["Approvals"] } })
    .use(deps.guard)
    .get("", ({ query, principal }) => deps.approvals.list(query, scopeOf(principal)), {
      query: listApprovalsQuery,
      response: approvalListView,
      detail: { summary: "Tool calls that asked for a decision; pending ones oldest first, paginated with next_cursor" },
    })
    .get("/summary", async ({ principal }) => ({ pending: await deps.approvals.pendingCount(scopeOf(principal)) }), {
      response: approvalSummaryView,
      detail: { summary: "How many approvals are pending (the dashboard's badge)" },
    })
    .get("/:id", ({ params, principal }) => deps.approvals.get(params.id, scopeOf(principal)), {
      params: approvalIdParams,
      response: approvalView,
    })
    .post("/:id/decision", ({ params, body, principal }) => deps.approvals.decide(params.id, body, principalName(principal), principal), {
      params: approvalIdParams,
      body: decisionBody,
      response: decisionView,
      detail: {
        summary: "Allow or deny a pending tool call (once: a second decision is 409) and resume the session with the confirmation",
      },
    });
}
