/**
 * A new session inside the caller's transaction: the row, its `session.created` event and the first
 * turn (with `prompt`). Schedules and webhook triggers write their claim in the same transaction, so
 * a run exists exactly when its session does.
 */
import type { Principal } from "../auth/model";
import { assertMay, visible } from "../auth/policy";
import type { SqlTx } from "../db/client";
import { badRequest, conflict } from "../lib/errors";
import type { ContentPart, StoredEvent } from "../../schema/session-events";
import type { EventStore } from "./events/store";
import type { CreateSessionInput } from "./model";
import { enqueueTurnInTx, newId } from "./turns";

/** Who a session belongs to (default: the actor; a schedule's run acts for its creator); `parent`: a sub-agent's session. */
export interface SessionCreator {
  ownerKeyId: string | null;
  ownerUserId: string | null;
  parent?: { id: string; depth: number };
}

export async function createSessionInTx(
  store: Pick<EventStore, "appendInTx">,
  tx: SqlTx,
  input: CreateSessionInput,
  actor: Principal,
  creator: SessionCreator,
): Promise<{ sessionId: string; turnId: string | null; events: StoredEvent[] }> {
  const [agent] = await tx.query<{ id: string; name: string; status: string; runtime_id: string | null; team_id: string }>(
    "select id, name, status, runtime_id, team_id from agents where id = $1",
    [input.agent_id],
  );
  // Another team's agent is answered like one that does not exist.
  if (!agent || !visible(actor, { teamId: agent.team_id }))
    throw badRequest(`agent_id: no agent ${input.agent_id}`, [{ field: "agent_id", message: `no agent with id ${input.agent_id}` }]);
  assertMay(actor, "create", { teamId: agent.team_id }, "a session in this team");
  if (agent.status === "paused") throw conflict(`Agent ${agent.name} is paused; resume it to start sessions`);
  if (!agent.runtime_id)
    throw badRequest("agent_id: the agent has no runtime", [{ field: "agent_id", message: "the agent has no runtime_id; set one first" }]);
  const id = newId("ses");
  await tx.query(
    "insert into sessions (id, agent_id, title, runtime_id, status, team_id, owner_key_id, owner_user_id, parent_session_id, depth) values ($1, $2, $3, $4, 'creating', $5, $6, $7, $8, $9)",
    [
      id,
      agent.id,
      input.title ?? "",
      agent.runtime_id,
      agent.team_id,
      creator.ownerKeyId,
      creator.ownerUserId,
      creator.parent?.id ?? null,
      creator.parent ? creator.parent.depth + 1 : 0,
    ],
  );
  const events = await store.appendInTx(tx, id, [{ type: "session.created", data: { agent_id: agent.id } }], null);
  const first: ContentPart[] | null = input.content ?? (input.prompt ? [{ type: "text", text: input.prompt }] : null);
  if (!first) return { sessionId: id, turnId: null, events };
  const turn = await enqueueTurnInTx(store, tx, id, first);
  return { sessionId: id, turnId: turn.turnId, events: [...events, ...turn.events] };
}
