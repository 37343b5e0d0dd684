import { and, asc, desc, eq, ilike, isNull, or, sql, type SQL } from "drizzle-orm";
import { randomUUID } from "node:crypto";
import { agentMemory, agentMemoryVersions, agents, type AgentMemoryRow, type AgentRow } from "../../schema";
import type { Principal } from "../auth/model";
import { assertMay, isAdmin, SYSTEM } from "../auth/policy";
import { audited, NO_AUDIT, type AuditPort } from "../audit/record";
import type { Database } from "../db/client";
import { ApiError, badRequest, conflict, notFound } from "../lib/errors";
import { isUniqueViolation } from "../lib/pg-errors";
import type { AgentService } from "../agents/service";
import { owned } from "../agents/service";
import {
  createMemoryBody,
  MEMORY_LIMITS,
  restoreMemoryBody,
  updateMemoryBody,
  type CreateMemoryInput,
  type MemoryVersionView,
  type MemoryView,
  type UpdateMemoryInput,
} from "./model";

/**
 * Who reads or writes an agent's memory, and which entries it sees: the agent-wide ones, and the
 * per-user ones of `users` ("all": an admin's view). A person comes through the API (AgentService and
 * server/auth/policy.ts decide), an agent's own session through LAP's platform tools (its session key
 * names the agent; the session's creator is its user). docs/memory.md.
 */
export interface MemoryAccess {
  agent: AgentRow;
  users: string[] | "all";
  /** The user a `scope: "user"` entry belongs to (null: none, so such entries are refused). */
  user: string | null;
  actor: Principal;
  /** Recorded on each version: a key's label, or `session <id>`. */
  writer: string;
}

type Tx = Parameters<Parameters<Database["db"]["transaction"]>[0]>[0];

const escapeLike = (q: string) => `%${q.replace(/[%_\\]/g, "\\$&")}%`;

/** An agent's memory entries with versions and soft deletes (docs/memory.md). */
export class MemoryService {
  constructor(private readonly deps: { database: Database; agents: AgentService; audit?: AuditPort }) {}

  private get db() {
    return this.deps.database.db;
  }

  /** A person's access to an agent's memory: 404 for an agent it cannot see; writes need "act" on the agent. */
  async personAccess(agentId: string, actor: Principal, write: boolean): Promise<MemoryAccess> {
    const agent = await this.deps.agents.row(agentId, actor);
    if (write) assertMay(actor, "act", owned(agent), "this agent's memory");
    return {
      agent,
      users: isAdmin(actor) ? "all" : actor.userId ? [actor.userId] : [],
      user: actor.userId ?? null,
      actor,
      writer: actor.label,
    };
  }

  /** A session's access to its own agent's memory (the platform tools): the session's creator is its user. */
  async sessionAccess(sessionId: string, agentId: string, actor: Principal): Promise<MemoryAccess> {
    const [agent] = await this.db.select().from(agents).where(eq(agents.id, agentId));
    if (!agent) throw notFound("Agent");
    const [s] = await this.deps.database.query<{ owner_user_id: string | null }>(
      "select owner_user_id from sessions where id = $1 and agent_id = $2",
      [sessionId, agentId],
    );
    if (!s) throw notFound("Session");
    return { agent, users: s.owner_user_id ? [s.owner_user_id] : [], user: s.owner_user_id, actor, writer: `session ${sessionId}` };
  }

  private seen(a: MemoryAccess): SQL | undefined {
    if (a.users === "all") return undefined;
    return a.users.length
      ? or(
          isNull(agentMemory.userId),
          sql`${agentMemory.userId} in (${sql.join(
            a.users.map((u) => sql`${u}`),
            sql`, `,
          )})`,
        )
      : isNull(agentMemory.userId);
  }

  async list(a: MemoryAccess, opts: { q?: string; deleted?: boolean; limit?: number } = {}) {
    const q = opts.q?.trim();
    const rows = await this.db
      .select()
      .from(agentMemory)
      .where(
        and(
          eq(agentMemory.agentId, a.agent.id),
          this.seen(a),
          opts.deleted ? undefined : isNull(agentMemory.deletedAt),
          q ? or(ilike(agentMemory.key, escapeLike(q)), ilike(agentMemory.content, escapeLike(q))) : undefined,
        ),
      )
      .orderBy(desc(agentMemory.alwaysOn), asc(agentMemory.key))
      .limit(opts.limit ?? 100);
    return rows.map(memoryView);
  }

  /** What the agent holds now (live entries, every user's), against MEMORY_LIMITS. */
  async usage(agentId: string, db: Pick<Tx, "select"> = this.db) {
    const [u] = await db
      .select({
        entries: sql<number>`count(*)::int`,
        chars: sql<number>`coalesce(sum(char_length(${agentMemory.content})), 0)::int`,
        alwaysOn: sql<number>`coalesce(sum(case when ${agentMemory.alwaysOn} then char_length(${agentMemory.content}) else 0 end), 0)::int`,
      })
      .from(agentMemory)
      .where(and(eq(agentMemory.agentId, agentId), isNull(agentMemory.deletedAt)));
    return { entries: Number(u?.entries ?? 0), chars: Number(u?.chars ?? 0), always_on_chars: Number(u?.alwaysOn ?? 0) };
  }

  async get(a: MemoryAccess, memoryId: string): Promise<MemoryView> {
    return memoryView(await this.row(a, memoryId));
  }

  /** An entry by id or, for the agent's tools, by key (live entries; the caller's user's own before the agent's). */
  async byKey(a: MemoryAccess, key: string): Promise<MemoryView> {
    const rows = await this.db
      .select()
      .from(agentMemory)
      .where(and(eq(agentMemory.agentId, a.agent.id), eq(agentMemory.key, key.trim()), isNull(agentMemory.deletedAt), this.seen(a)));
    const row = rows.find((r) => r.userId !== null) ?? rows[0];
    if (!row) throw notFound(`Memory entry ${key.trim().slice(0, 200)}`);
    return memoryView(row);
  }

  private async row(a: MemoryAccess, memoryId: string, tx: Pick<Tx, "select"> = this.db): Promise<AgentMemoryRow> {
    const [row] = await tx
      .select()
      .from(agentMemory)
      .where(and(eq(agentMemory.id, memoryId), eq(agentMemory.agentId, a.agent.id), this.seen(a)));
    if (!row) throw notFound("Memory entry");
    return row;
  }

  async create(a: MemoryAccess, input: CreateMemoryInput): Promise<MemoryView> {
    const p = createMemoryBody.parse(input);
    if (p.scope === "user" && !a.user)
      throw badRequest("scope: a per-user entry needs a user (sign in, or use a personal key)", [
        { field: "scope", message: "no user to keep this entry for" },
      ]);
    const id = `mem_${randomUUID().replaceAll("-", "").slice(0, 20)}`;
    const row = await this.write(a, "memory.create", null, async (tx) => {
      await this.assertRoom(tx, a.agent.id, { add: 1, chars: p.content.length, alwaysOn: p.always_on ? p.content.length : 0 });
      const [r] = await tx
        .insert(agentMemory)
        .values({
          id,
          agentId: a.agent.id,
          teamId: a.agent.teamId,
          userId: p.scope === "user" ? a.user : null,
          key: p.key,
          content: p.content,
          alwaysOn: p.always_on,
          version: 1,
          updatedBy: a.writer,
        })
        .returning();
      await this.version(tx, r!, "create");
      return r!;
    });
    return memoryView(row);
  }

  async update(a: MemoryAccess, memoryId: string, input: UpdateMemoryInput): Promise<MemoryView> {
    const p = updateMemoryBody.parse(input);
    const before = await this.row(a, memoryId);
    if (before.deletedAt) throw conflict("This memory entry is deleted; restore it first");
    const next = { key: p.key ?? before.key, content: p.content ?? before.content, alwaysOn: p.always_on ?? before.alwaysOn };
    return memoryView(await this.change(a, before, next, "update", "memory.update"));
  }

  async remove(a: MemoryAccess, memoryId: string): Promise<MemoryView> {
    const before = await this.row(a, memoryId);
    if (before.deletedAt) return memoryView(before);
    return memoryView(
      await this.change(
        a,
        before,
        { key: before.key, content: before.content, alwaysOn: before.alwaysOn, deleted: true },
        "delete",
        "memory.delete",
      ),
    );
  }

  async history(a: MemoryAccess, memoryId: string): Promise<MemoryVersionView[]> {
    await this.row(a, memoryId);
    const rows = await this.db
      .select()
      .from(agentMemoryVersions)
      .where(eq(agentMemoryVersions.memoryId, memoryId))
      .orderBy(desc(agentMemoryVersions.version));
    return rows.map((v) => ({
      version: v.version,
      key: v.key,
      content: v.content,
      always_on: v.alwaysOn,
      change: v.change,
      deleted: v.deleted,
      updated_by: v.updatedBy,
      created_at: v.createdAt.toISOString(),
    }));
  }

  /** Brings back a version (or undeletes): a new version, so the restore itself can be undone. */
  async restore(a: MemoryAccess, memoryId: string, input: { version?: number }): Promise<MemoryView> {
    const p = restoreMemoryBody.parse(input);
    const before = await this.row(a, memoryId);
    let target = { key: before.key, content: before.content, alwaysOn: before.alwaysOn };
    if (p.version !== undefined) {
      const [v] = await this.db
        .select()
        .from(agentMemoryVersions)
        .where(and(eq(agentMemoryVersions.memoryId, memoryId), eq(agentMemoryVersions.version, p.version)));
      if (!v)
        throw badRequest(`version: this entry has no version ${p.version} (it is at ${before.version})`, [
          { field: "version", message: `no version ${p.version}` },
        ]);
      target = { key: v.key, content: v.content, alwaysOn: v.alwaysOn };
    }
    return memoryView(await this.change(a, before, { ...target, deleted: false }, "restore", "memory.restore"));
  }

  /** Always-on entries a new session of the agent gets: the agent's, and its creator's own. */
  async alwaysOn(agentId: string, userId: string | null): Promise<Array<{ key: string; content: string }>> {
    const rows = await this.db
      .select({ key: agentMemory.key, content: agentMemory.content })
      .from(agentMemory)
      .where(
        and(
          eq(agentMemory.agentId, agentId),
          eq(agentMemory.alwaysOn, true),
          isNull(agentMemory.deletedAt),
          userId ? or(isNull(agentMemory.userId), eq(agentMemory.userId, userId)) : isNull(agentMemory.userId),
        ),
      )
      .orderBy(asc(agentMemory.createdAt), asc(agentMemory.id));
    return rows;
  }

  private async change(
    a: MemoryAccess,
    before: AgentMemoryRow,
    next: { key: string; content: string; alwaysOn: boolean; deleted?: boolean },
    change: string,
    action: string,
  ) {
    return this.write(a, action, before, async (tx) => {
      const wasLive = !before.deletedAt;
      const live = next.deleted === undefined ? wasLive : !next.deleted;
      if (live) {
        const minus = wasLive ? before.content.length : 0;
        const minusOn = wasLive && before.alwaysOn ? before.content.length : 0;
        await this.assertRoom(tx, a.agent.id, {
          add: wasLive ? 0 : 1,
          chars: next.content.length - minus,
          alwaysOn: (next.alwaysOn ? next.content.length : 0) - minusOn,
        });
      }
      const [r] = await tx
        .update(agentMemory)
        .set({
          key: next.key,
          content: next.content,
          alwaysOn: next.alwaysOn,
          version: sql`${agentMemory.version} + 1`,
          updatedBy: a.writer,
          updatedAt: new Date(),
          deletedAt: live ? null : new Date(),
        })
        .where(and(eq(agentMemory.id, before.id), eq(agentMemory.version, before.version)))
        .returning();
      if (!r) throw conflict("This memory entry changed meanwhile; load it again");
      await this.version(tx, r, change);
      return r;
    });
  }

  /** The change and its audit row in one transaction; a key taken by another live entry is a 409. */
  private async write(
    a: MemoryAccess,
    action: string,
    before: AgentMemoryRow | null,
    fn: (tx: Tx) => Promise<AgentMemoryRow>,
  ): Promise<AgentMemoryRow> {
    try {
      return await audited(
        this.db,
        this.deps.audit ?? NO_AUDIT,
        async (tx) => {
          // One writer per agent at a time, so the limits hold under concurrent writes.
          await tx.execute(sql`select id from agents where id = ${a.agent.id} for update`);
          return fn(tx as Tx);
        },
        (r) => ({
          actor: a.actor,
          action,
          objectType: "agent_memory",
          objectId: r.id,
          teamId: a.agent.teamId,
          before: before ? memoryView(before) : null,
          after: memoryView(r),
          detail: { agent_id: a.agent.id },
        }),
      );
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict("This agent already has a memory entry with that key; change that one instead");
      throw err;
    }
  }

  private async version(tx: Tx, r: AgentMemoryRow, change: string) {
    await tx.insert(agentMemoryVersions).values({
      memoryId: r.id,
      version: r.version,
      key: r.key,
      content: r.content,
      alwaysOn: r.alwaysOn,
      change,
      deleted: r.deletedAt !== null,
      updatedBy: r.updatedBy,
    });
  }

  private async assertRoom(tx: Tx, agentId: string, delta: { add: number; chars: number; alwaysOn: number }) {
    const u = await this.usage(agentId, tx);
    const L = MEMORY_LIMITS;
    const full = (message: string, field: string) => new ApiError(413, "memory_full", message, [{ field, message }]);
    if (delta.add > 0 && u.entries + delta.add > L.entries)
      throw full(`The agent's memory holds ${u.entries} entries, its limit (${L.entries}): delete some first`, "key");
    if (delta.chars > 0 && u.chars + delta.chars > L.agentChars) {
      throw full(
        `The agent's memory would hold ${u.chars + delta.chars} characters, over its limit of ${L.agentChars}: shorten or delete entries first`,
        "content",
      );
    }
    if (delta.alwaysOn > 0 && u.always_on_chars + delta.alwaysOn > L.alwaysOnChars) {
      throw full(
        `Always-on entries would hold ${u.always_on_chars + delta.alwaysOn} characters, over their limit of ${L.alwaysOnChars} (they enter every session's prompt): turn some off first`,
        "always_on",
      );
    }
  }
}

export const systemAccess = (agent: AgentRow): MemoryAccess => ({ agent, users: "all", user: null, actor: SYSTEM, writer: "LAP" });

export function memoryView(r: AgentMemoryRow): MemoryView {
  return {
    id: r.id,
    agent_id: r.agentId,
    key: r.key,
    content: r.content,
    always_on: r.alwaysOn,
    scope: r.userId ? "user" : "agent",
    user_id: r.userId,
    version: r.version,
    updated_by: r.updatedBy,
    deleted: r.deletedAt !== null,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

/** The always-on entries as the system prompt carries them (docs/memory.md "Always-on entries"). */
export function memoryPrompt(entries: Array<{ key: string; content: string }>): string {
  if (!entries.length) return "";
  return [
    "# Memory",
    "Things you were asked to remember (LAP keeps these; change them with the memory tools):",
    ...entries.map((e) => `## ${e.key}\n${e.content}`),
  ].join("\n\n");
}
