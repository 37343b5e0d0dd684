// The Slack bot: installation, bindings, DM allow-list, recent events.
import type { AllowlistBody, BindingBody, SlackEventView, SlackStatus } from "../../../../slack/model";
import { request } from "./client";

export type { SlackEventView, SlackStatus };
export interface SlackBinding {
  id: string;
  team_id: string;
  channel_id: string;
  agent_id: string;
}

export const slackApi = {
  slack: {
    status: () => request<SlackStatus>("GET", "/api/slack/status"),
    manifest: () => request<Record<string, unknown>>("GET", "/api/slack/manifest"),
    removeInstallation: (teamId: string) => request<{ ok: true }>("DELETE", `/api/slack/installations/${encodeURIComponent(teamId)}`),
    bindings: () => request<{ data: SlackBinding[] }>("GET", "/api/slack/bindings").then((r) => r.data),
    bind: (input: Partial<BindingBody> & { agent_id: string }) => request<SlackBinding>("PUT", "/api/slack/bindings", input),
    unbind: (id: string) => request<{ ok: true }>("DELETE", `/api/slack/bindings/${encodeURIComponent(id)}`),
    allowlist: () => request<{ data: Array<{ team_id: string; user_id: string }> }>("GET", "/api/slack/dm-allowlist").then((r) => r.data),
    setAllowlist: (input: Partial<AllowlistBody> & { user_ids: string[] }) =>
      request<{ team_id: string; user_ids: string[] }>("PUT", "/api/slack/dm-allowlist", input),
    events: (limit = 50) => request<{ data: SlackEventView[] }>("GET", `/api/slack/events?limit=${limit}`).then((r) => r.data),
  },
};
