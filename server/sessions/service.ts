import { and, eq, inArray, sql } from "drizzle-orm";
import { agents, sessions, sessionTurns, type SessionRow } from "../../schema";
import type { ContentPart, StoredEvent } from "../../schema/session-events";
import type { Principal } from "../auth/model";
import { assertMay, creatorOf, SYSTEM, visible } from "../auth/policy";
import { audited, NO_AUDIT, type AuditPort } from "../audit/record";
import type { Database, SqlTx } from "../db/client";
import { conflict, notFound } from "../lib/errors";
import { readAttachment } from "./attachments/store";
import { createSessionInTx, type SessionCreator } from "./create";
import type { LiveBus } from "./events/bus";
import type { EventStore, NewEvent } from "./events/store";
import { listSessions, type SessionListQuery } from "./list";
import { postMessageBody, type CreateSessionInput, type PostMessageInput, type SessionView } from "./model";
import { OrderedFeed } from "./stream/feed";
import { cancelQueuedInTx, enqueueTurnInTx, markRunningInterruptedInTx } from "./turns";
import { owned, sessionView } from "./view";

export { owned, sessionSpend, sessionView } from "./view";

/** What the service needs from the worker (kept as an interface so the service is testable alone). */
export interface TurnRunner {
  kick(sessionId: string): void;
  interrupt(sessionId: string): Promise<void>;
  /** Ends the running turn wherever it runs, and the runtime session. */
  stopSession(sessionId: string): Promise<void>;
}

/** What the sessions module asks of the approvals module, which owns the `approvals` table (wired in server/app.ts). */
export interface SessionApprovalsPort {
  /** A stopped session's pending questions expire: nobody can act on them any more. */
  expirePending(sessionId: string, message: string): Promise<void>;
}

export interface SessionServiceDeps {
  database: Database;
  store: EventStore;
  bus: LiveBus;
  runner: TurnRunner;
  approvals?: SessionApprovalsPort;
  /** The audit trail (server/audit): sessions created, stopped and deleted through the API. */
  audit?: AuditPort;
}

const FINAL = new Set(["stopped", "error"]);

/**
 * The public surface of sessions for every other module (API routes, Slack bot, sandbox runtime):
 * create a session, post a message, interrupt, stop, read and subscribe to events, append events.
 * Methods take the caller (`actor`; LAP's own callers leave it out) and ask server/auth/policy.ts: a
 * session belongs to its agent's team; another team's is 404; a viewer reads; a member starts sessions
 * and acts on its own; a team admin on any of the team's.
 */
export class SessionService {
  constructor(private readonly deps: SessionServiceDeps) {}

  private get db() {
    return this.deps.database.db;
  }

  private get audit() {
    return this.deps.audit ?? NO_AUDIT;
  }

  /** Writes the row (`creating`) and returns at once; the worker provisions in the background. */
  async create(input: CreateSessionInput, actor: Principal = SYSTEM): Promise<SessionView> {
    const created = await this.deps.database.transaction(async (tx) => {
      const made = await this.createInTx(tx, input, actor);
      const [row] = await tx.query<{ team_id: string }>("select team_id from sessions where id = $1", [made.sessionId]);
      await this.audit.record(tx, {
        actor,
        action: "session.create",
        objectType: "session",
        objectId: made.sessionId,
        teamId: row?.team_id ?? null,
        after: { agent_id: input.agent_id, title: input.title ?? "" },
        detail: { prompt_chars: input.prompt?.length ?? 0, content_parts: input.content?.length ?? 0 },
      });
      return made;
    });
    this.announceTurn(created.sessionId, created.events);
    return this.get(created.sessionId, actor);
  }

  /**
   * The session row, its `session.created` event and the first turn (with `prompt`) inside the caller's
   * transaction (create.ts); call `announceTurn` after the commit.
   */
  createInTx(tx: SqlTx, input: CreateSessionInput, actor: Principal = SYSTEM, creator: SessionCreator = creatorOf(actor)) {
    return createSessionInTx(this.deps.store, tx, input, actor, creator);
  }

  async get(id: string, actor: Principal = SYSTEM): Promise<SessionView> {
    const [row] = await this.db
      .select({ s: sessions, agentName: agents.name })
      .from(sessions)
      .leftJoin(agents, eq(agents.id, sessions.agentId))
      .where(eq(sessions.id, id));
    if (!row || !visible(actor, owned(row.s))) throw notFound("Session");
    const [q] = await this.deps.database.query<{ n: number; spend: number }>(
      "select (select count(*)::int from session_turns where session_id = $1 and status = 'queued') as n, (select coalesce(sum(spend), 0)::float8 from gateway_spend_logs where session_id = $1) as spend",
      [id],
    );
    return { ...sessionView(row.s, row.agentName, Number(q?.spend ?? 0)), queued_turns: q?.n ?? 0 };
  }

  /** The session if the caller may see it (else 404); with `action`, 403 unless it may do that too. */
  async row(id: string, actor: Principal = SYSTEM, action?: "act"): Promise<SessionRow> {
    const [row] = await this.db.select().from(sessions).where(eq(sessions.id, id));
    if (!row || !visible(actor, owned(row))) throw notFound("Session");
    if (action) assertMay(actor, action, owned(row), "this session");
    return row;
  }

  /** Keyset-paginated, newest first, and light: no events, no counts per row (list.ts). */
  list(opts: SessionListQuery, actor: Principal = SYSTEM) {
    return listSessions(this.db, opts, actor);
  }

  /** Stores the user event and queues the turn; answers with the turn id (HTTP 202). */
  async postMessage(
    sessionId: string,
    input: PostMessageInput,
    actor: Principal = SYSTEM,
  ): Promise<{ turn_id: string; seq: number; queued: boolean }> {
    const body = postMessageBody.parse(input);
    const session = await this.row(sessionId, actor, "act");
    if (FINAL.has(session.status)) throw conflict(`Session is ${session.status}; start a new session`);
    if (session.agentId) {
      const [agent] = await this.db.select({ status: agents.status, name: agents.name }).from(agents).where(eq(agents.id, session.agentId));
      if (agent?.status === "paused") throw conflict(`Agent ${agent.name} is paused; resume it to send messages`);
    }
    const content: ContentPart[] = body.content ?? [{ type: "text", text: body.text! }];
    const busy = session.status === "running" || session.status === "creating" || session.status === "recovering";
    const { turnId, seq } = await this.enqueue(sessionId, content);
    if (body.interrupt && busy) await this.deps.runner.interrupt(sessionId);
    this.deps.runner.kick(sessionId);
    return { turn_id: turnId, seq, queued: busy };
  }

  private async enqueue(sessionId: string, content: ContentPart[]) {
    const turn = await this.deps.database.transaction((tx) => this.enqueueInTx(tx, sessionId, content));
    this.deps.store.afterCommit(sessionId, turn.events);
    return turn;
  }

  /** Stores the user event and queues its turn inside the caller's transaction (turns.ts); `announceTurn` after the commit. */
  enqueueInTx(tx: SqlTx, sessionId: string, content: ContentPart[], userEvent?: { type: string; data: Record<string, unknown> }) {
    return enqueueTurnInTx(this.deps.store, tx, sessionId, content, userEvent);
  }

  /** Marks the running turn to be interrupted inside the caller's transaction (turns.ts); whether one runs. */
  markRunningInterruptedInTx(tx: SqlTx, sessionId: string): Promise<boolean> {
    return markRunningInterruptedInTx(tx, sessionId);
  }

  /** Ends the queued turns inside the caller's transaction (turns.ts); publish the events with `announceTurn` after the commit. */
  cancelQueuedInTx(tx: SqlTx, sessionId: string, reason: string): Promise<StoredEvent[]> {
    return cancelQueuedInTx(this.deps.store, tx, sessionId, reason);
  }

  /** After `enqueueInTx` committed: live clients see the user event, the worker runs the turn. */
  announceTurn(sessionId: string, events: StoredEvent[]) {
    this.deps.store.afterCommit(sessionId, events);
    this.deps.runner.kick(sessionId);
  }

  async interrupt(sessionId: string, actor: Principal = SYSTEM): Promise<{ interrupted: boolean }> {
    const session = await this.row(sessionId, actor, "act");
    if (FINAL.has(session.status)) return { interrupted: false };
    // Stop means the agent stops: turns still queued behind the running one end too, before they start.
    const cancelled = await this.deps.database.transaction((tx) => this.cancelQueuedInTx(tx, sessionId, "interrupted by request"));
    if (cancelled.length) this.deps.store.afterCommit(sessionId, cancelled);
    const [running] = await this.db
      .select({ id: sessionTurns.id })
      .from(sessionTurns)
      .where(and(eq(sessionTurns.sessionId, sessionId), eq(sessionTurns.status, "running")));
    if (!running) return { interrupted: cancelled.length > 0 };
    await this.db.update(sessionTurns).set({ interruptRequested: true }).where(eq(sessionTurns.id, running.id));
    await this.deps.runner.interrupt(sessionId);
    return { interrupted: true };
  }

  /** Stops the running turn, drops the queue and ends the runtime session. */
  async stop(sessionId: string, reason = "stopped by request", actor: Principal = SYSTEM): Promise<SessionView> {
    return this.stopRecorded(sessionId, reason, actor, "session.stop");
  }

  /** `stop`, recorded in the audit trail as `action` (null: the caller records the change itself). */
  private async stopRecorded(sessionId: string, reason: string, actor: Principal, action: string | null): Promise<SessionView> {
    const session = await this.row(sessionId, actor, "act");
    if (session.status === "stopped") return this.get(sessionId);
    await audited(
      this.db,
      this.audit,
      async (tx) => {
        await tx
          .update(sessionTurns)
          .set({ status: "interrupted", endedAt: new Date(), error: reason })
          .where(and(eq(sessionTurns.sessionId, sessionId), inArray(sessionTurns.status, ["queued", "running"])));
        await tx.update(sessions).set({ status: "stopped", updatedAt: new Date() }).where(eq(sessions.id, sessionId));
      },
      () =>
        action
          ? {
              actor,
              action,
              objectType: "session",
              objectId: sessionId,
              teamId: session.teamId,
              before: { status: session.status },
              after: { status: "stopped" },
              detail: { reason },
            }
          : null,
    );
    await this.deps.approvals?.expirePending(sessionId, `session ${reason}`);
    await this.deps.runner.stopSession(sessionId);
    await this.deps.store.append(sessionId, [{ type: "session.stopped", data: { reason } }]);
    return this.get(sessionId);
  }

  async remove(sessionId: string, actor: Principal = SYSTEM): Promise<void> {
    const session = await this.row(sessionId, actor, "act");
    await this.stopRecorded(sessionId, "deleted", actor, null);
    await audited(
      this.db,
      this.audit,
      (tx) => tx.delete(sessions).where(eq(sessions.id, sessionId)).returning({ id: sessions.id }),
      (gone) =>
        gone.length
          ? {
              actor,
              action: "session.delete",
              objectType: "session",
              objectId: sessionId,
              teamId: session.teamId,
              before: { status: session.status, agent_id: session.agentId, title: session.title },
              after: null,
            }
          : null,
    );
  }

  /** Stops every live session of an agent (called before the agent is deleted). */
  async stopAgentSessions(agentId: string) {
    const live = await this.db
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.agentId, agentId), sql`${sessions.status} <> 'stopped'`));
    // The agent's deletion is the recorded change (server/agents/service.ts).
    for (const s of live) await this.stopRecorded(s.id, "agent deleted", SYSTEM, null);
  }

  /** Stored events, whole messages only unless `deltas` (docs/sessions.md "Messages and deltas"). */
  async events(
    sessionId: string,
    after: number,
    limit: number,
    actor: Principal = SYSTEM,
    deltas = false,
  ): Promise<{ data: StoredEvent[]; last_seq: number }> {
    const session = await this.row(sessionId, actor);
    return { data: await this.deps.store.list(sessionId, after, limit, { deltas }), last_seq: session.lastSeq };
  }

  /** An attachment of a message of the session (docs/sessions.md "Attachments"); 404 unless the caller sees the session. */
  async attachment(sessionId: string, attachmentId: string, actor: Principal = SYSTEM) {
    await this.row(sessionId, actor);
    const found = await readAttachment(this.deps.database, sessionId, attachmentId);
    if (!found) throw notFound("Attachment");
    return found;
  }

  /** Appends events from outside a turn (other modules: sandbox runtime, Slack). */
  append(sessionId: string, events: NewEvent[], turnId: string | null = null) {
    return this.deps.store.append(sessionId, events, turnId);
  }

  /** Replay after `after`, then live, in order, once each. Returns a close function. */
  async subscribe(
    sessionId: string,
    after: number,
    onEvents: (events: StoredEvent[]) => void,
    onError?: (err: unknown) => void,
  ): Promise<() => void> {
    const session = await this.row(sessionId);
    // A cursor past the end (a client of a deleted-and-recreated log) would wait forever; clamp it.
    const feed = new OrderedFeed(
      { bus: this.deps.bus, store: this.deps.store },
      sessionId,
      Math.min(after, session.lastSeq),
      onEvents,
      onError,
    );
    await feed.start();
    return () => feed.close();
  }
}
