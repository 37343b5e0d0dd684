import { and, asc, eq, gt, inArray, isNull } from "drizzle-orm";
import { randomUUID } from "node:crypto";
import { invitations, teamMembers, teams, users, type UserRow } from "../../schema";
import type { Identities } from "../auth/identity";
import type { Principal } from "../auth/model";
import { isAdmin, SYSTEM } from "../auth/policy";
import { audited, NO_AUDIT, type AuditPort, type DbTx } from "../audit/record";
import type { Database } from "../db/client";
import { durationMs } from "../gateway/keys/duration";
import { randomToken, sha256Hex } from "../lib/crypto";
import { ApiError, badRequest, forbidden, notFound } from "../lib/errors";
import { withConstraintConflicts } from "../lib/pg-errors";
import { createUserBody, updateUserBody, type CreateUserInput, type UpdateUserInput, type UserView } from "./model";

export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** A hash to verify against when there is no user, so a wrong email takes as long as a wrong password. */
let dummyHash: Promise<string> | undefined;
const noSuchUserHash = () => (dummyHash ??= Bun.password.hash("lap-no-such-user", { algorithm: "argon2id" }));

export interface UserServiceDeps {
  database: Database;
  identities: Identities;
  baseUrl: () => string;
  /** Ends a user's dashboard sign-ins (disabled, deleted, password changed by an admin). */
  endSignIns: (userId: string) => Promise<unknown>;
  onBudgetChange?: (userId: string) => Promise<void> | void;
  now?: () => number;
  /** The audit trail (server/audit). */
  audit?: AuditPort;
}

const newUserId = () => `usr_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
const hashPassword = (password: string) => Bun.password.hash(password, { algorithm: "argon2id" });

/**
 * User accounts (docs/security.md "Users, teams and roles"): made by an admin (here or through
 * LiteLLM's /user/new), by a team admin inviting an email, or by a first SSO sign-in when the
 * operator allows it. Passwords are optional and hashed with argon2id; invitations are one-time
 * tokens (only their hash is stored) that let the person set a password and sign in.
 */
export class UserService {
  private readonly now: () => number;

  constructor(private readonly deps: UserServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  private get db() {
    return this.deps.database.db;
  }

  private get audit() {
    return this.deps.audit ?? NO_AUDIT;
  }

  async create(
    input: CreateUserInput,
    actor: Principal = SYSTEM,
  ): Promise<{ user: UserView; invitation?: { token: string; url: string; expires_at: string } }> {
    if (!isAdmin(actor)) throw forbidden("Only an admin creates users; team admins add members by email on the team");
    const b = createUserBody.parse(input);
    const id = b.user_id ?? newUserId();
    if (b.teams?.length) {
      const found = await this.db.select({ id: teams.id }).from(teams).where(inArray(teams.id, b.teams));
      const missing = b.teams.filter((t) => !found.some((f) => f.id === t));
      if (missing.length) throw badRequest(`teams: no team ${missing[0]}`, [{ field: "teams", message: `no team with id ${missing[0]}` }]);
    }
    const passwordHash = b.password ? await hashPassword(b.password) : null;
    const invitation = await withConstraintConflicts(
      async () =>
        this.db.transaction(async (tx) => {
          const [row] = await tx
            .insert(users)
            .values({
              id,
              email: b.email?.toLowerCase() ?? null,
              name: b.name ?? "",
              role: b.role,
              passwordHash,
              models: b.models ?? [],
              maxBudget: b.max_budget ?? null,
              budgetDuration: b.budget_duration ?? null,
              budgetResetAt: b.budget_duration ? new Date(this.now() + durationMs(b.budget_duration)!) : null,
              metadata: b.metadata ?? {},
            })
            .returning();
          for (const t of b.teams ?? [])
            await tx.insert(teamMembers).values({ teamId: t, userId: id, role: "member" }).onConflictDoNothing();
          const invited = b.email && !b.password ? await this.inviteIn(tx, id, actor) : undefined;
          await this.audit.record(tx, {
            actor,
            action: "user.create",
            objectType: "user",
            objectId: id,
            after: row,
            detail: { teams: b.teams ?? [], invited: Boolean(invited) },
          });
          return invited;
        }),
      { unique: b.email ? `A user with id ${id} or email ${b.email} already exists` : `A user with id ${id} already exists` },
    );
    return { user: await this.get(id), ...(invitation ? { invitation } : {}) };
  }

  /** A team admin adding an email nobody has: a member with no org role, and an invitation. */
  async createInvited(email: string, actor: Principal): Promise<{ userId: string; invitation: { token: string; url: string } }> {
    const id = newUserId();
    // Recorded as the team membership that asked for it (server/teams/service.ts).
    const invitation = await withConstraintConflicts(
      () =>
        this.db.transaction(async (tx) => {
          await tx.insert(users).values({ id, email: email.toLowerCase(), role: "member" });
          return this.inviteIn(tx, id, actor);
        }),
      { unique: `A user with email ${email} already exists` },
    );
    return { userId: id, invitation };
  }

  /** Admins: everyone; anyone else: itself. */
  async list(actor: Principal = SYSTEM, page = { page: 1, size: 100 }): Promise<{ data: UserView[]; total: number }> {
    const where = isAdmin(actor) ? undefined : eq(users.id, actor.userId ?? "");
    const rows = await this.db
      .select()
      .from(users)
      .where(where)
      .orderBy(asc(users.email), asc(users.id))
      .limit(page.size)
      .offset((page.page - 1) * page.size);
    const total = isAdmin(actor) ? await this.db.$count(users) : rows.length;
    return { data: await this.views(rows), total };
  }

  /** Admins any user; a user itself (anyone else's: 404). */
  async get(id: string, actor: Principal = SYSTEM): Promise<UserView> {
    if (!isAdmin(actor) && actor.userId !== id) throw notFound("User");
    const [row] = await this.db.select().from(users).where(eq(users.id, id));
    if (!row) throw notFound("User");
    return (await this.views([row]))[0]!;
  }

  async update(id: string, input: UpdateUserInput, actor: Principal = SYSTEM): Promise<UserView> {
    const b = updateUserBody.parse(input);
    const self = actor.userId === id;
    if (!isAdmin(actor)) {
      if (!self) throw notFound("User");
      const notMine = (["role", "models", "max_budget", "budget_duration", "metadata", "disabled"] as const).filter(
        (f) => b[f] !== undefined,
      );
      if (notMine.length)
        throw new ApiError(
          403,
          "forbidden",
          `${notMine[0]}: only an admin changes this`,
          notMine.map((field) => ({ field, message: "only an admin changes this" })),
        );
    }
    const [row] = await this.db.select().from(users).where(eq(users.id, id));
    if (!row) throw notFound("User");
    const set: Partial<typeof users.$inferInsert> = { updatedAt: new Date(this.now()) };
    if (b.name !== undefined) set.name = b.name;
    if (b.role !== undefined) set.role = b.role;
    if (b.password !== undefined) set.passwordHash = await hashPassword(b.password);
    if (b.models !== undefined) set.models = b.models;
    if (b.max_budget !== undefined) set.maxBudget = b.max_budget;
    if (b.budget_duration !== undefined) {
      set.budgetDuration = b.budget_duration;
      set.budgetResetAt = b.budget_duration ? new Date(this.now() + durationMs(b.budget_duration)!) : null;
    }
    if (b.metadata !== undefined) set.metadata = b.metadata;
    if (b.disabled !== undefined) set.disabledAt = b.disabled ? (row.disabledAt ?? new Date(this.now())) : null;
    await audited(
      this.db,
      this.audit,
      (tx) => tx.update(users).set(set).where(eq(users.id, id)).returning(),
      ([r]) => ({ actor, action: "user.update", objectType: "user", objectId: id, before: row, after: r }),
    );
    this.deps.identities.invalidate(id);
    await this.deps.onBudgetChange?.(id);
    // A disabled user, or one whose password an admin reset, is signed out everywhere.
    if (b.disabled || (b.password !== undefined && !self)) await this.deps.endSignIns(id);
    return this.get(id);
  }

  async remove(id: string, actor: Principal = SYSTEM): Promise<{ deleted: string }> {
    if (!isAdmin(actor)) throw forbidden("Only an admin deletes users");
    const [row] = await audited(
      this.db,
      this.audit,
      (tx) => tx.delete(users).where(eq(users.id, id)).returning(),
      ([r]) => (r ? { actor, action: "user.delete", objectType: "user", objectId: id, before: r, after: null } : null),
    );
    if (!row) throw notFound("User");
    this.deps.identities.invalidate(id);
    return { deleted: id };
  }

  /** A one-time link for the user to set a password; earlier unused ones stop working. */
  async invite(userId: string, actor: Principal): Promise<{ token: string; url: string; expires_at: string; id: string }> {
    return this.db.transaction(async (tx) => {
      const made = await this.inviteIn(tx, userId, actor);
      await this.audit.record(tx, {
        actor,
        action: "user.invite",
        objectType: "user",
        objectId: userId,
        detail: { invitation_id: made.id, expires_at: made.expires_at },
      });
      return made;
    });
  }

  private async inviteIn(
    tx: DbTx,
    userId: string,
    actor: Principal,
  ): Promise<{ token: string; url: string; expires_at: string; id: string }> {
    const token = randomToken("lap-inv-", 24);
    const id = randomUUID();
    const expiresAt = new Date(this.now() + INVITATION_TTL_MS);
    await tx.delete(invitations).where(and(eq(invitations.userId, userId), isNull(invitations.acceptedAt)));
    await tx.insert(invitations).values({ id, tokenHash: sha256Hex(token), userId, createdBy: actor.label, expiresAt });
    return { id, token, url: `${this.deps.baseUrl()}/invite?token=${encodeURIComponent(token)}`, expires_at: expiresAt.toISOString() };
  }

  /** Uses an invitation once: sets the password and returns the user to sign in. 400 for any bad token. */
  async acceptInvitation(token: string, password: string, name?: string): Promise<string> {
    const now = new Date(this.now());
    const passwordHash = await hashPassword(password);
    const userId = await this.deps.database.db.transaction(async (tx) => {
      const [inv] = await tx
        .update(invitations)
        .set({ acceptedAt: now })
        .where(and(eq(invitations.tokenHash, sha256Hex(token)), isNull(invitations.acceptedAt), gt(invitations.expiresAt, now)))
        .returning({ userId: invitations.userId });
      if (!inv) return null;
      const [user] = await tx
        .update(users)
        .set({ passwordHash, updatedAt: now, ...(name ? { name } : {}) })
        .where(and(eq(users.id, inv.userId), isNull(users.disabledAt)))
        .returning({ id: users.id });
      return user?.id ?? null;
    });
    if (!userId)
      throw badRequest("This invitation is not valid: it was used, replaced or has expired. Ask for a new one.", [
        { field: "token", message: "not a valid invitation" },
      ]);
    this.deps.identities.invalidate(userId);
    return userId;
  }

  /** The user with this email and password, or null (always one argon2id verification, user or not). */
  async verifyPassword(email: string, password: string): Promise<UserRow | null> {
    const [row] = await this.db.select().from(users).where(eq(users.email, email.trim().toLowerCase()));
    const ok = await Bun.password.verify(password, row?.passwordHash ?? (await noSuchUserHash()));
    return ok && row?.passwordHash && !row.disabledAt ? row : null;
  }

  /**
   * The user an SSO sign-in is for: the one linked to this issuer and subject; else the one with this
   * verified email (an admin made or invited it), which gets linked; else, when the operator allows,
   * a new member with no teams. null: nobody (the sign-in is refused).
   */
  async forOidc(
    claims: { issuer: string; subject: string; email?: string; emailVerified: boolean; name?: string },
    autoCreate: boolean,
  ): Promise<UserRow | null> {
    const [linked] = await this.db
      .select()
      .from(users)
      .where(and(eq(users.oidcIssuer, claims.issuer), eq(users.oidcSubject, claims.subject)));
    if (linked) return linked.disabledAt ? null : linked;
    if (!claims.email || !claims.emailVerified) return null;
    const email = claims.email.toLowerCase();
    const [byEmail] = await this.db.select().from(users).where(eq(users.email, email));
    if (byEmail) {
      // Linked once; a different subject at the same issuer later does not take the account over.
      if (byEmail.disabledAt || byEmail.oidcSubject) return null;
      const [row] = await this.db
        .update(users)
        .set({ oidcIssuer: claims.issuer, oidcSubject: claims.subject, updatedAt: new Date(this.now()) })
        .where(eq(users.id, byEmail.id))
        .returning();
      return row ?? null;
    }
    if (!autoCreate) return null;
    const [row] = await this.db
      .insert(users)
      .values({ id: newUserId(), email, name: claims.name ?? "", role: "member", oidcIssuer: claims.issuer, oidcSubject: claims.subject })
      .returning();
    return row ?? null;
  }

  /** The ids among these that are no user's (to refuse a request before it writes anything). */
  async missing(ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const found = await this.db.select({ id: users.id }).from(users).where(inArray(users.id, ids));
    return ids.filter((id) => !found.some((f) => f.id === id));
  }

  async touchLogin(userId: string) {
    await this.db
      .update(users)
      .set({ lastLoginAt: new Date(this.now()) })
      .where(eq(users.id, userId));
  }

  private async views(rows: UserRow[]): Promise<UserView[]> {
    if (rows.length === 0) return [];
    const memberships = await this.db
      .select({ userId: teamMembers.userId, id: teams.id, alias: teams.alias, role: teamMembers.role })
      .from(teamMembers)
      .innerJoin(teams, eq(teams.id, teamMembers.teamId))
      .where(
        inArray(
          teamMembers.userId,
          rows.map((r) => r.id),
        ),
      );
    return rows.map((r) => ({
      id: r.id,
      email: r.email,
      name: r.name,
      role: r.role,
      sso: r.oidcSubject !== null,
      password: r.passwordHash !== null,
      models: r.models,
      max_budget: r.maxBudget,
      budget_duration: r.budgetDuration,
      budget_reset_at: r.budgetResetAt?.toISOString() ?? null,
      spend: r.spend,
      disabled: r.disabledAt !== null,
      teams: memberships.filter((m) => m.userId === r.id).map(({ id, alias, role }) => ({ id, alias, role })),
      last_login_at: r.lastLoginAt?.toISOString() ?? null,
      created_at: r.createdAt.toISOString(),
    }));
  }
}
