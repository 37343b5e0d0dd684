// The Slack bot: installation, bindings, DM allow-list, recent events.
import type { z } from "zod";
import type {
  AllowlistBody,
  allowlistListView,
  allowlistView,
  BindingBody,
  bindingListView,
  BindingView,
  SlackEventView,
  SlackStatus,
} from "../../../../slack/model";
import { request } from "./client";

export type { SlackEventView, SlackStatus };
export type SlackBinding = BindingView;

export const slackApi = {
  slack: {
    status: () => request<SlackStatus>("GET", "/api/slack/status"),
    manifest: () => request<Record<string, unknown>>("GET", "/api/slack/manifest"),
    removeInstallation: (teamId: string) => request<{ ok: true }>("DELETE", `/api/slack/installations/${encodeURIComponent(teamId)}`),
    bindings: () => request<z.infer<typeof bindingListView>>("GET", "/api/slack/bindings").then((r) => r.data),
    bind: (input: Partial<BindingBody> & { agent_id: string }) => request<SlackBinding>("PUT", "/api/slack/bindings", input),
    unbind: (id: string) => request<{ ok: true }>("DELETE", `/api/slack/bindings/${encodeURIComponent(id)}`),
    allowlist: () => request<z.infer<typeof allowlistListView>>("GET", "/api/slack/dm-allowlist").then((r) => r.data),
    setAllowlist: (input: Partial<AllowlistBody> & { user_ids: string[] }) =>
      request<z.infer<typeof allowlistView>>("PUT", "/api/slack/dm-allowlist", input),
    events: (limit = 50) => request<{ data: SlackEventView[] }>("GET", `/api/slack/events?limit=${limit}`).then((r) => r.data),
  },
};
