import type { IncomingMessage } from "./store";
import { fileRefs, type SlackFile } from "./files";

/** The parts of a Slack message event we read (the rest is ignored). */
export interface SlackMessageEvent {
  type: string;
  subtype?: string;
  bot_id?: string;
  user?: string;
  text?: string;
  ts: string;
  thread_ts?: string;
  channel: string;
  channel_type?: string;
  /** Files shared with the message (subtype file_share): attached to the agent's message (./files.ts). */
  files?: SlackFile[];
}

export const EMPTY_PROMPT = "Proceed with your task.";

/** Subtypes that are still a person talking; edits, joins, bot posts and the like are not. */
const HUMAN_SUBTYPES = new Set(["file_share", "thread_broadcast"]);

/**
 * Decides whether an event is a message for the bot and normalizes it, or returns null.
 * `app_mention` anywhere and DMs start or continue a thread's session; other messages count only
 * as replies in a thread (the caller checks that the bot owns it). The session key is the thread
 * root's ts, so each top-level mention or DM starts its own session.
 */
export function normalizeEvent(
  event: SlackMessageEvent,
  ctx: { teamId: string; eventId: string; botUserId?: string },
): IncomingMessage | null {
  if (!event?.channel || !event.ts || !event.user) return null;
  if (event.bot_id || (event.subtype && !HUMAN_SUBTYPES.has(event.subtype))) return null;
  if (ctx.botUserId && event.user === ctx.botUserId) return null;
  const isThreadReply = !!event.thread_ts && event.thread_ts !== event.ts;
  let kind: IncomingMessage["kind"];
  if (event.type === "app_mention") kind = "mention";
  else if (event.type === "message" && event.channel_type === "im") kind = "dm";
  else if (event.type === "message" && isThreadReply) kind = "thread_reply";
  else return null;
  return {
    eventId: ctx.eventId,
    teamId: ctx.teamId,
    channelId: event.channel,
    messageTs: event.ts,
    threadTs: event.thread_ts ?? event.ts,
    userId: event.user,
    kind,
    text: cleanPrompt(event.text ?? "", ctx.botUserId),
    ...(event.files?.length ? { files: fileRefs(event.files) } : {}),
  };
}

/** Drops the leading mention(s) of the bot, collapses whitespace; later mentions stay. */
export function cleanPrompt(text: string, botUserId?: string): string {
  let t = text.trim();
  const lead = /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>\s*/;
  for (let m = lead.exec(t); m && (!botUserId || m[1] === botUserId); m = lead.exec(t)) t = t.slice(m[0].length);
  t = t.replace(/[ \t]+/g, " ").trim();
  return t || EMPTY_PROMPT;
}

/** Slack user ids as people paste them: `U123`, `<@U123>`, `<@U123|name>`, `@U123`. Null when not an id. */
export function normalizeUserId(raw: string): string | null {
  const m = /^\s*<?@?([UW][A-Z0-9]{2,})(?:\|[^>]*)?>?\s*$/i.exec(raw);
  return m ? m[1]!.toUpperCase() : null;
}
