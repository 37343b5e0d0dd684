import { Elysia } from "elysia";
import type { AuthGuard } from "../http/auth-guard";
import { auditListView, listAuditQuery } from "./model";
import type { AuditService } from "./service";

export { audited, auditTrail, NO_AUDIT, type AuditEntry, type AuditPort, type AuditTx, type DbTx } from "./record";
export { AuditService } from "./service";

/** The audit trail, read-only: there is no route that changes or deletes a row (docs/security.md "Audit trail"). */
export function auditRoutes(deps: { audit: AuditService; guard: AuthGuard }) {
  return new Elysia({ prefix: "/api/audit", detail: { tags: ["Audit"] } })
    .use(deps.guard)
    .get("", ({ query, principal }) => deps.audit.list(query, principal), {
      query: listAuditQuery,
      response: auditListView,
      detail: { summary: "Who did what: audit rows, newest first (admins: all; team admins: their teams')" },
    });
}
