import type { WebClient } from "@slack/web-api";

export const BACKFILL_MESSAGES = 50;
export const BACKFILL_CHARS = 6000;

/**
 * When the bot is first mentioned inside an existing thread, the agent would start blind: fetch the
 * thread (best effort: any error just means no context) and prepend it, newest kept, oldest dropped.
 */
export async function withThreadContext(
  client: WebClient,
  channel: string,
  threadTs: string,
  messageTs: string,
  prompt: string,
): Promise<string> {
  let lines: string[] = [];
  try {
    const res = await client.conversations.replies({ channel, ts: threadTs, limit: BACKFILL_MESSAGES });
    lines = (res.messages ?? [])
      .filter((m) => m.ts !== messageTs && m.text && Number(m.ts) < Number(messageTs))
      .map((m) => `${m.user ? `<@${m.user}>` : m.bot_id ? "bot" : "someone"}: ${m.text!.replace(/\s+/g, " ").trim()}`);
  } catch {
    return prompt;
  }
  let total = 0;
  const kept: string[] = [];
  for (const line of lines.reverse()) {
    if (total + line.length + 1 > BACKFILL_CHARS) break;
    kept.unshift(line);
    total += line.length + 1;
  }
  if (kept.length === 0) return prompt;
  return `Earlier messages in this Slack thread, oldest first:\n${kept.join("\n")}\n\nThe message to answer:\n${prompt}`;
}
