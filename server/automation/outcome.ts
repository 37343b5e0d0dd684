import type { Database } from "../db/client";

/** A turn's final statuses (server/sessions: session_turns.status). */
export const FINAL_TURN_STATUSES = ["completed", "failed", "interrupted"] as const;
export type FinalTurnStatus = (typeof FINAL_TURN_STATUSES)[number];

const MAX_OUTPUT_CHARS = 16_000;

/** What the agent said in a turn (its `agent.message` texts), capped: the body of an outcome callback. */
export async function turnOutput(database: Database, sessionId: string, turnId: string): Promise<{ text: string; truncated: boolean }> {
  const rows = await database.query<{ data: { content?: Array<{ type?: string; text?: unknown }> } }>(
    "select data from session_events where session_id = $1 and turn_id = $2 and type = 'agent.message' order by seq",
    [sessionId, turnId],
  );
  let text = "";
  for (const r of rows) {
    for (const part of r.data.content ?? []) if (part.type === "text" && typeof part.text === "string") text += part.text;
  }
  return text.length > MAX_OUTPUT_CHARS ? { text: text.slice(0, MAX_OUTPUT_CHARS), truncated: true } : { text, truncated: false };
}
