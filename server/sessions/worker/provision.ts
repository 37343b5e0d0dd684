import { and, eq } from "drizzle-orm";
import { agents, sessions } from "../../../schema";
import { agentDefinition } from "../../agents/service";
import type { Database } from "../../db/client";
import type { Logger } from "../../lib/logger";
import type { RuntimeService } from "../../runtimes/service";
import type { EventStore } from "../events/store";
import type { SessionStatusWriter } from "../status";

export interface ProvisionDeps {
  database: Database;
  runtimes: RuntimeService;
  store: EventStore;
  status: SessionStatusWriter;
  log: Logger;
}

/**
 * Background half of session create: reuse (or create) the runtime-side agent, start the runtime
 * session, then `creating → idle` with `session.ready`. Any failure: `error` with a session.error.
 */
export async function provisionSession(deps: ProvisionDeps, sessionId: string): Promise<boolean> {
  const db = deps.database.db;
  const [session] = await db.select().from(sessions).where(eq(sessions.id, sessionId));
  if (session?.status !== "creating") return false;
  try {
    const [agent] = session.agentId ? await db.select().from(agents).where(eq(agents.id, session.agentId)) : [];
    if (!agent) throw new Error("The session's agent no longer exists");
    if (!session.runtimeId) throw new Error("The session has no runtime");
    const adapter = await deps.runtimes.adapterFor(session.runtimeId);
    const definition = agentDefinition(agent);
    const existing = await deps.runtimes.remoteAgent(session.runtimeId, agent.id);
    const ref = await adapter.ensureAgent(definition, existing);
    if (!ref.reused) await deps.runtimes.saveRemoteAgent(session.runtimeId, agent.id, ref);
    const remoteSessionId = await adapter.startSession({ ref, agent: definition, localSessionId: sessionId, title: session.title });
    // The event goes first: whoever sees the new status can already read why.
    const [still] = await db
      .update(sessions)
      .set({ remoteSessionId })
      .where(and(eq(sessions.id, sessionId), eq(sessions.status, "creating")))
      .returning({ id: sessions.id });
    if (!still) {
      // Stopped or deleted while we were provisioning: do not leave the runtime session behind.
      await adapter.stopSession(remoteSessionId);
      return false;
    }
    // With its event, so whoever is told of session.ready reads the session idle.
    let ready = false;
    await deps.store.append(sessionId, [{ type: "session.ready", data: { reused_runtime_agent: ref.reused } }], null, [], async (tx) => {
      ready = await deps.status.provisionedInTx(tx, sessionId, null);
    });
    return ready;
  } catch (err) {
    const message = `Could not start the session on its runtime: ${(err as Error).message}`;
    deps.log.warn({ err, session_id: sessionId }, "session provisioning failed");
    await deps.store.append(sessionId, [{ type: "session.error", data: { error: { message } } }], null, [], async (tx) => {
      await deps.status.provisionedInTx(tx, sessionId, message);
    });
    return false;
  }
}
