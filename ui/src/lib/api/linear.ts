// Linear: status (configured or what is missing), installed workspaces, bindings, recent events.
import type { LinearEventView, LinearStatus } from "../../../../server/linear/model";
import { request } from "./client";

export type { LinearEventView, LinearStatus };

export const linearApi = {
  linear: {
    status: () => request<LinearStatus>("GET", "/api/integrations/linear/status"),
    bind: (input: { organization_id: string; agent_id: string }) =>
      request<{ organization_id: string; agent_id: string; agent_name: string }>("PUT", "/api/integrations/linear/bindings", input),
    unbind: (organizationId: string) =>
      request<{ ok: true }>("DELETE", `/api/integrations/linear/bindings/${encodeURIComponent(organizationId)}`),
    removeInstallation: (organizationId: string) =>
      request<{ ok: true }>("DELETE", `/api/integrations/linear/installations/${encodeURIComponent(organizationId)}`),
    events: (limit = 50) =>
      request<{ data: LinearEventView[] }>("GET", `/api/integrations/linear/events?limit=${limit}`).then((r) => r.data),
  },
};
