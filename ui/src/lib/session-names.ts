import { createResource } from "solid-js";
import { api, type SessionListItem } from "./api";

/** How a session is named on screen: its title, else its agent's name (its id stays in the link). */
export const sessionLabel = (s: Pick<SessionListItem, "title" | "agent_name">) => s.title || `with ${s.agent_name ?? "a deleted agent"}`;

/**
 * Names for session ids, for pages that list other objects by session (approvals, sandboxes): one
 * request for the newest 200 sessions; an id not among them is shown as it is.
 */
export function createSessionNames() {
  const [sessions] = createResource(() =>
    api.sessions
      .list({ limit: 200 })
      .then((r) => r.data)
      .catch(() => [] as SessionListItem[]),
  );
  const byId = () => new Map((sessions() ?? []).map((s) => [s.id, s]));
  return (id: string | null | undefined) => {
    const s = id ? byId().get(id) : undefined;
    return s ? sessionLabel(s) : (id ?? "");
  };
}
