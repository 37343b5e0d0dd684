import { and, asc, count, eq, inArray, sql } from "drizzle-orm";
import { randomUUID } from "node:crypto";
import { DEFAULT_TEAM_ID, teamMembers, teams, users, type TeamRole, type TeamRow } from "../../schema";
import type { Identities } from "../auth/identity";
import type { Principal } from "../auth/model";
import { assertMay, atLeast, isAdmin, roleIn, SYSTEM, visible } from "../auth/policy";
import { audited, NO_AUDIT, type AuditPort } from "../audit/record";
import type { Database } from "../db/client";
import { durationMs } from "../gateway/keys/duration";
import { ApiError, badRequest, conflict, forbidden, notFound } from "../lib/errors";
import { isForeignKeyViolation, withConstraintConflicts } from "../lib/pg-errors";
import {
  createTeamBody,
  memberBody,
  updateTeamBody,
  type CreateTeamInput,
  type MemberInput,
  type MemberView,
  type TeamView,
  type UpdateTeamInput,
} from "./model";

export interface TeamServiceDeps {
  database: Database;
  identities: Identities;
  /** Creates a user for an email nobody has yet, with an invitation (server/users/service.ts). */
  inviteByEmail: (email: string, invitedBy: Principal) => Promise<{ userId: string; invitation?: { token: string; url: string } }>;
  /** A team's budget changed: the gateway drops its cached budget state. */
  onBudgetChange?: (teamId: string) => Promise<void> | void;
  now?: () => number;
  /** The audit trail (server/audit). */
  audit?: AuditPort;
}

const newTeamId = () => `team_${randomUUID().replaceAll("-", "").slice(0, 16)}`;

/**
 * Teams and their members (docs/security.md "Users, teams and roles"). Org admins create and delete
 * teams and set budgets and models; a team's admins add members; its owners change roles and make
 * owners. Every change to a membership clears that user's cached identity on this replica.
 */
export class TeamService {
  private readonly now: () => number;

  constructor(private readonly deps: TeamServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  private get db() {
    return this.deps.database.db;
  }

  private get audit() {
    return this.deps.audit ?? NO_AUDIT;
  }

  async create(input: CreateTeamInput, actor: Principal = SYSTEM): Promise<TeamView> {
    if (!isAdmin(actor)) throw forbidden("Only an admin creates teams");
    const b = createTeamBody.parse(input);
    const id = b.team_id ?? newTeamId();
    const [row] = await withConstraintConflicts(
      () =>
        this.db.transaction(async (tx) => {
          const made = await tx
            .insert(teams)
            .values({
              id,
              alias: b.alias,
              models: b.models ?? [],
              maxBudget: b.max_budget ?? null,
              budgetDuration: b.budget_duration ?? null,
              budgetResetAt: b.budget_duration ? new Date(this.now() + durationMs(b.budget_duration)!) : null,
              rpmLimit: b.rpm_limit ?? null,
              tpmLimit: b.tpm_limit ?? null,
              maxParallelRequests: b.max_parallel_requests ?? null,
              metadata: b.metadata ?? {},
            })
            .returning();
          // A signed-in admin who makes a team owns it, so the Members page has someone to start from.
          if (actor.userId) await tx.insert(teamMembers).values({ teamId: id, userId: actor.userId, role: "owner" }).onConflictDoNothing();
          await this.audit.record(tx, { actor, action: "team.create", objectType: "team", objectId: id, teamId: id, after: made[0] });
          return made;
        }),
      { unique: `A team with id ${id} already exists` },
    );
    return this.view(row!, actor);
  }

  /** Admins: every team; anyone else: its own. */
  async list(actor: Principal = SYSTEM): Promise<TeamView[]> {
    const mine = isAdmin(actor) ? undefined : Object.keys(actor.teams ?? {});
    if (mine && mine.length === 0) return [];
    const rows = await this.db
      .select()
      .from(teams)
      .where(mine ? inArray(teams.id, mine) : undefined)
      .orderBy(asc(teams.alias));
    const counts = await this.memberCounts(rows.map((r) => r.id));
    return rows.map((r) => this.view(r, actor, counts.get(r.id) ?? 0));
  }

  /** The team if the caller may see it (not a member: 404). */
  async row(id: string, actor: Principal = SYSTEM): Promise<TeamRow> {
    const [row] = await this.db.select().from(teams).where(eq(teams.id, id));
    if (!row || !visible(actor, { teamId: row.id })) throw notFound("Team");
    return row;
  }

  async get(id: string, actor: Principal = SYSTEM): Promise<TeamView> {
    const row = await this.row(id, actor);
    return this.view(row, actor, (await this.memberCounts([id])).get(id) ?? 0);
  }

  async update(id: string, input: UpdateTeamInput, actor: Principal = SYSTEM): Promise<TeamView> {
    const b = updateTeamBody.parse(input);
    const row = await this.row(id, actor);
    // Spend controls are the org's: a team may not raise its own budget or unblock itself.
    const adminOnly = (
      ["max_budget", "budget_duration", "models", "blocked", "rpm_limit", "tpm_limit", "max_parallel_requests"] as const
    ).filter((f) => b[f] !== undefined);
    if (adminOnly.length && !isAdmin(actor)) {
      throw new ApiError(
        403,
        "forbidden",
        `${adminOnly[0]}: only an admin sets a team's budget, limits, models or blocked`,
        adminOnly.map((field) => ({ field, message: "only an admin sets this" })),
      );
    }
    if (b.alias !== undefined || b.metadata !== undefined) assertMay(actor, "administer", { teamId: id }, "this team's name and metadata");
    const set: Partial<typeof teams.$inferInsert> = { updatedAt: new Date(this.now()) };
    if (b.alias !== undefined) set.alias = b.alias;
    if (b.metadata !== undefined) set.metadata = b.metadata;
    if (b.models !== undefined) set.models = b.models;
    if (b.max_budget !== undefined) set.maxBudget = b.max_budget;
    if (b.rpm_limit !== undefined) set.rpmLimit = b.rpm_limit;
    if (b.tpm_limit !== undefined) set.tpmLimit = b.tpm_limit;
    if (b.max_parallel_requests !== undefined) set.maxParallelRequests = b.max_parallel_requests;
    if (b.budget_duration !== undefined) {
      set.budgetDuration = b.budget_duration;
      set.budgetResetAt = b.budget_duration ? new Date(this.now() + durationMs(b.budget_duration)!) : null;
    }
    if (b.blocked !== undefined) set.blockedAt = b.blocked ? (row.blockedAt ?? new Date(this.now())) : null;
    const [updated] = await audited(
      this.db,
      this.audit,
      (tx) => tx.update(teams).set(set).where(eq(teams.id, id)).returning(),
      ([r]) => ({ actor, action: "team.update", objectType: "team", objectId: id, teamId: id, before: row, after: r }),
    );
    await this.deps.onBudgetChange?.(id);
    return this.view(updated!, actor, (await this.memberCounts([id])).get(id) ?? 0);
  }

  /** Admins only; a team that still owns agents or sessions is 409 (move or delete them first). */
  async remove(id: string, actor: Principal = SYSTEM): Promise<{ deleted: string }> {
    if (!isAdmin(actor)) throw forbidden("Only an admin deletes teams");
    if (id === DEFAULT_TEAM_ID) throw conflict("The Default team holds what belongs to no other team; it cannot be deleted");
    const row = await this.row(id, actor);
    const members = await this.db.select({ userId: teamMembers.userId }).from(teamMembers).where(eq(teamMembers.teamId, id));
    try {
      await audited(
        this.db,
        this.audit,
        (tx) => tx.delete(teams).where(eq(teams.id, id)),
        () => ({
          actor,
          action: "team.delete",
          objectType: "team",
          objectId: id,
          teamId: id,
          before: row,
          after: null,
          detail: { members: members.length },
        }),
      );
    } catch (err) {
      if (isForeignKeyViolation(err)) throw conflict("The team still has agents or sessions; delete them first");
      throw err;
    }
    for (const m of members) this.deps.identities.invalidate(m.userId);
    await this.deps.onBudgetChange?.(id);
    return { deleted: id };
  }

  async members(id: string, actor: Principal = SYSTEM): Promise<MemberView[]> {
    await this.row(id, actor);
    const rows = await this.db
      .select({ m: teamMembers, email: users.email, name: users.name })
      .from(teamMembers)
      .innerJoin(users, eq(users.id, teamMembers.userId))
      .where(eq(teamMembers.teamId, id))
      .orderBy(asc(users.email), asc(users.id));
    return rows.map((r) => ({ user_id: r.m.userId, email: r.email, name: r.name, role: r.m.role, joined_at: r.m.createdAt.toISOString() }));
  }

  /**
   * Adds a user (by id, or by email: a new email gets a user and an invitation) or changes the role of
   * one already in. Team admins add members, admins and viewers; only owners make owners.
   */
  async addMember(
    id: string,
    input: MemberInput,
    actor: Principal = SYSTEM,
  ): Promise<{ member: MemberView; invitation?: { token: string; url: string } }> {
    const b = memberBody.parse(input);
    await this.row(id, actor);
    this.assertMayGrant(actor, id, b.role);
    let userId = b.user_id;
    let invitation: { token: string; url: string } | undefined;
    if (!userId) {
      b.email = b.email!.toLowerCase();
      const [existing] = await this.db.select({ id: users.id }).from(users).where(eq(users.email, b.email));
      if (existing) userId = existing.id;
      else ({ userId, invitation } = await this.deps.inviteByEmail(b.email, actor));
    } else {
      const [existing] = await this.db.select({ id: users.id }).from(users).where(eq(users.id, userId));
      if (!existing) throw badRequest(`user_id: no user ${userId}`, [{ field: "user_id", message: `no user with id ${userId}` }]);
    }
    const [current] = await this.db
      .select()
      .from(teamMembers)
      .where(and(eq(teamMembers.teamId, id), eq(teamMembers.userId, userId)));
    if (current) this.assertMayChange(actor, id, current.role, b.role);
    const memberId = userId;
    await audited(
      this.db,
      this.audit,
      (tx) =>
        tx
          .insert(teamMembers)
          .values({ teamId: id, userId: memberId, role: b.role })
          .onConflictDoUpdate({ target: [teamMembers.teamId, teamMembers.userId], set: { role: b.role } }),
      () => ({
        actor,
        action: current ? "team.member_update" : "team.member_add",
        objectType: "team_member",
        objectId: memberId,
        teamId: id,
        before: current ? { role: current.role } : null,
        after: { role: b.role },
        detail: { invited: Boolean(invitation) },
      }),
    );
    this.deps.identities.invalidate(userId);
    const member = (await this.members(id, SYSTEM)).find((m) => m.user_id === userId)!;
    return { member, ...(invitation ? { invitation } : {}) };
  }

  async setRole(id: string, userId: string, role: TeamRole, actor: Principal = SYSTEM): Promise<MemberView> {
    await this.row(id, actor);
    const [current] = await this.db
      .select()
      .from(teamMembers)
      .where(and(eq(teamMembers.teamId, id), eq(teamMembers.userId, userId)));
    if (!current) throw notFound("Member");
    this.assertMayChange(actor, id, current.role, role);
    if (current.role === "owner" && role !== "owner") await this.assertAnotherOwner(id, userId, actor);
    await audited(
      this.db,
      this.audit,
      (tx) =>
        tx
          .update(teamMembers)
          .set({ role })
          .where(and(eq(teamMembers.teamId, id), eq(teamMembers.userId, userId))),
      () => ({
        actor,
        action: "team.member_update",
        objectType: "team_member",
        objectId: userId,
        teamId: id,
        before: { role: current.role },
        after: { role },
      }),
    );
    this.deps.identities.invalidate(userId);
    return (await this.members(id, SYSTEM)).find((m) => m.user_id === userId)!;
  }

  async removeMember(id: string, userId: string, actor: Principal = SYSTEM): Promise<{ removed: string }> {
    await this.row(id, actor);
    const [current] = await this.db
      .select()
      .from(teamMembers)
      .where(and(eq(teamMembers.teamId, id), eq(teamMembers.userId, userId)));
    if (!current) throw notFound("Member");
    this.assertMayChange(actor, id, current.role, "viewer");
    if (current.role === "owner") await this.assertAnotherOwner(id, userId, actor);
    await audited(
      this.db,
      this.audit,
      (tx) => tx.delete(teamMembers).where(and(eq(teamMembers.teamId, id), eq(teamMembers.userId, userId))),
      () => ({
        actor,
        action: "team.member_remove",
        objectType: "team_member",
        objectId: userId,
        teamId: id,
        before: { role: current.role },
        after: null,
      }),
    );
    this.deps.identities.invalidate(userId);
    return { removed: userId };
  }

  /** Granting a role: admins grant member/viewer/admin, owners also owner. */
  private assertMayGrant(actor: Principal, teamId: string, role: TeamRole) {
    assertMay(actor, role === "owner" ? "administer" : "manage", { teamId }, role === "owner" ? "making owners" : "adding members");
    const mine = roleIn(actor, teamId);
    if (role === "admin" && mine && !atLeast(mine, "admin")) throw forbidden("Only a team admin or owner makes admins");
  }

  /** Changing someone who is an admin or owner (or making one) is an owner's; the rest a team admin's. */
  private assertMayChange(actor: Principal, teamId: string, from: TeamRole, to: TeamRole) {
    const high = (r: TeamRole) => r === "owner" || r === "admin";
    if (high(from) || to === "owner") assertMay(actor, "administer", { teamId }, "changing a team admin or owner");
    else assertMay(actor, "manage", { teamId }, "changing members");
  }

  /** A team keeps at least one owner, unless an admin says otherwise. */
  private async assertAnotherOwner(teamId: string, leaving: string, actor: Principal) {
    if (isAdmin(actor)) return;
    const [r] = await this.db
      .select({ n: count() })
      .from(teamMembers)
      .where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.role, "owner"), sql`${teamMembers.userId} <> ${leaving}`));
    if (!r || Number(r.n) === 0) throw conflict("A team needs at least one owner: make someone else owner first");
  }

  private async memberCounts(ids: string[]): Promise<Map<string, number>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db
      .select({ teamId: teamMembers.teamId, n: count() })
      .from(teamMembers)
      .where(inArray(teamMembers.teamId, ids))
      .groupBy(teamMembers.teamId);
    return new Map(rows.map((r) => [r.teamId, Number(r.n)]));
  }

  view(r: TeamRow, actor: Principal, memberCount = 0): TeamView {
    return {
      id: r.id,
      alias: r.alias,
      models: r.models,
      max_budget: r.maxBudget,
      budget_duration: r.budgetDuration,
      budget_reset_at: r.budgetResetAt?.toISOString() ?? null,
      spend: r.spend,
      rpm_limit: r.rpmLimit,
      tpm_limit: r.tpmLimit,
      max_parallel_requests: r.maxParallelRequests,
      blocked: r.blockedAt !== null,
      metadata: r.metadata,
      my_role: roleIn(actor, r.id),
      member_count: memberCount,
      created_at: r.createdAt.toISOString(),
    };
  }
}
