import type { Database } from "../db/client";
import type { ContentPart } from "../../schema/session-events";
import { resolveAttachments } from "./attachments/store";

/** One event of a history as a harness replays it (the event's data with its type). */
export type HistoryEvent = { type: string; [k: string]: unknown };

/**
 * A session's events as a new sandbox's harness is given them (handed to the sandbox runtime by
 * server/app.ts). A message cut off mid-stream is only deltas in the log: the harness reads
 * consecutive agent.message pieces as one reply (docs/sessions.md "Messages and deltas").
 */
export async function sessionHistory(database: Pick<Database, "query">, sessionId: string): Promise<HistoryEvent[]> {
  const rows = await database.query<{ type: string; data: Record<string, unknown> }>(
    "select type, data from session_events where session_id = $1 order by seq",
    [sessionId],
  );
  const out: HistoryEvent[] = rows.map((r) =>
    r.type === "agent.message_delta"
      ? { type: "agent.message", content: [{ type: "text", text: String(r.data.text ?? "") }] }
      : { ...r.data, type: r.type },
  );
  // A user message's attachments are references in the log; the new harness gets their bytes.
  for (const e of out)
    if (e.type === "user.message" && Array.isArray(e.content))
      e.content = await resolveAttachments(database, sessionId, e.content as ContentPart[]);
  return out;
}
