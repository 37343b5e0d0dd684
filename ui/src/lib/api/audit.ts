// The audit trail (GET /api/audit). Types come from the server's model.
import type { AuditView } from "../../../../server/audit/model";
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
    list: (f: AuditFilter = {}) => request<{ data: AuditView[]; next_cursor: string | null }>("GET", `/api/audit${q({ ...f })}`),
  },
};
