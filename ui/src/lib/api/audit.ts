// The audit trail (GET /api/audit). Types come from the server's model.
import type { z } from "zod";
import type { auditListView, AuditView, listAuditQuery } from "../../../../server/audit/model";
import { q, request } from "./client";

export type { AuditView };

/** GET /api/audit's filters (the server's query schema; limit defaults to 100). */
export type AuditFilter = Partial<Omit<z.infer<typeof listAuditQuery>, "limit">> & { limit?: number };

export const auditApi = {
  audit: {
    list: (f: AuditFilter = {}) => request<z.infer<typeof auditListView>>("GET", `/api/audit${q({ ...f })}`),
  },
};
