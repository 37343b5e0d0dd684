import { z } from "zod";
import { idString, safeString } from "../server/lib/strings";

/** Slack ids are short (T0123ABC); capped, since they key unique indexes. */
const slackId = (what: string) =>
  z
    .string()
    .max(64, `must be a Slack ${what} id such as T0123ABC`)
    .trim()
    .regex(/^[A-Z0-9]{2,}$/, `must be a Slack ${what} id such as T0123ABC`);

export const bindingBody = z.object({
  team_id: z.union([z.literal("*"), slackId("team")]).default("*"),
  channel_id: z.union([z.literal("*"), slackId("channel")]).default("*"),
  // No agent chosen in the form sends "": that is a missing agent, so it says "is required".
  agent_id: safeString({ max: 200, line: true }).pipe(z.string().trim().min(1, "is required")),
});
export type BindingBody = z.infer<typeof bindingBody>;

export const bindingParams = z.object({ id: idString(64) });

export const allowlistBody = z.object({
  team_id: z.union([z.literal("*"), slackId("team")]).default("*"),
  /** Accepts U…/W… ids and <@U…> mentions; each must be a user id. */
  user_ids: z
    .array(
      z
        .string()
        .max(200, "must be a Slack user id such as U0123ABC or <@U0123ABC>")
        .regex(/^\s*<?@?[UW][A-Za-z0-9]{2,}(\|[^>]*)?>?\s*$/, "must be a Slack user id such as U0123ABC or <@U0123ABC>"),
    )
    .max(1000),
});
export type AllowlistBody = z.infer<typeof allowlistBody>;

export const eventsQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) });

export const teamParams = z.object({ team_id: idString(64) });

export interface SlackStatus {
  enabled: boolean;
  mode: "disabled" | "single_workspace" | "oauth" | "single_workspace+oauth";
  oauth_available: boolean;
  request_urls: { events: string; interactivity: string; commands: string; oauth_redirect: string; install: string };
  installations: Array<{ team_id: string; team_name: string; bot_user_id: string; scopes: string; installed_at: string }>;
}

export interface SlackEventView {
  id: string;
  event_id: string;
  team_id: string;
  channel_id: string;
  thread_ts: string;
  user_id: string;
  kind: string;
  status: string;
  agent_id: string | null;
  session_id: string | null;
  error: string | null;
  attempts: number;
  duplicates: number;
  created_at: string;
}

/** A binding as the API answers it: which agent answers in a workspace and channel (`*` = default). */
export const bindingView = z.object({
  id: z.string(),
  team_id: z.string(),
  channel_id: z.string(),
  agent_id: z.string(),
  /** The LAP team the binding belongs to (the list only). */
  lap_team_id: z.string().nullable().optional(),
});
export type BindingView = z.infer<typeof bindingView>;
export const bindingListView = z.object({ data: z.array(bindingView) });
export const allowlistListView = z.object({ data: z.array(z.object({ team_id: z.string(), user_id: z.string() })) });
export const allowlistView = z.object({ team_id: z.string(), user_ids: z.array(z.string()) });
