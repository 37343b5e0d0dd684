// The audit trail (GET /api/audit). Types come from the server's model.
import type { z } from "zod";
import type { auditListView, AuditView } from "../../../../server/audit/model";
import { q, request } from "./client";

export type { AuditView };

export interface AuditFilter {
  actor?: string;
  action?: string;
  object_type?: string;
  object_id?: string;
  since?: string;
  until?: string;
  cursor?: string;
  limit?: number;
}

export const auditApi = {
  audit: {
    list: (f: AuditFilter = {}) => request<z.infer<typeof auditListView>>("GET", `/api/audit${q({ ...f })}`),
  },
};
