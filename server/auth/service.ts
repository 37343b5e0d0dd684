import { and, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import { createHash, createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { apiKeys, type ApiKeyRow, type KeyKind } from "../../schema";
import type { Database, Db } from "../db/client";
import { audited, NO_AUDIT, type AuditActor, type AuditPort } from "../audit/record";
import { randomToken, sha256Hex } from "../lib/crypto";
import { badRequest, notFound } from "../lib/errors";
import { AuthBackoff, DEFAULT_BACKOFF, tooManyAttempts, type BackoffOptions } from "./backoff";
import { DashboardSessions } from "./dashboard-sessions";
import { Identities, keyTeams, userPrincipal } from "./identity";
import type { ApiKeyView, CreateKeyInput, Principal } from "./model";
import { createKeyBody, kindOfCreateInput } from "./model";

export const KEY_PREFIX = "sk-lap-";
const CACHE_TTL_MS = 10_000;
export const SESSION_COOKIE = "lap_session";

/** Drizzle's database or a transaction of it: key inserts can join the caller's transaction. */
export type DbExecutor = Db | Parameters<Parameters<Db["transaction"]>[0]>[0];

export interface AuthServiceDeps {
  database: Database;
  masterKey: string;
  now?: () => number;
  backoff?: Partial<BackoffOptions>;
  /** The audit trail (server/audit): keys made and revoked, sign-ins and failed sign-ins. */
  audit?: AuditPort;
}

export interface NewKey {
  label: string;
  kind: KeyKind;
  userId?: string | null;
  teamId?: string | null;
  metadata?: Record<string, unknown>;
  expiresAt?: Date | null;
}

const str = (v: unknown) => (typeof v === "string" && v.length > 0 ? v : undefined);

/** The prefix a sk-lap- key is told apart by (shown in lists); other tokens (the master key) have none. */
export const keyPrefixOf = (token: string) =>
  token.startsWith(KEY_PREFIX) && token.length > KEY_PREFIX.length + 4 ? token.slice(0, KEY_PREFIX.length + 4) : undefined;

/**
 * API keys, the master key and dashboard sessions.
 * Verification is on every request, so valid keys are cached briefly by hash and `last_used_at`
 * is written in batches rather than once per request.
 */
export class AuthService {
  private cache = new Map<string, { row: ApiKeyRow | null; until: number }>();
  private used = new Set<string>();
  private readonly masterDigest: Buffer;
  private readonly now: () => number;
  readonly backoff: AuthBackoff;
  readonly sessions: DashboardSessions;
  readonly identities: Identities;

  constructor(private readonly deps: AuthServiceDeps) {
    this.now = deps.now ?? Date.now;
    this.masterDigest = createHash("sha256").update(deps.masterKey).digest();
    this.backoff = new AuthBackoff({ ...DEFAULT_BACKOFF, ...deps.backoff }, this.now);
    this.identities = new Identities({ database: deps.database, now: this.now });
    this.sessions = new DashboardSessions({
      identities: this.identities,
      database: deps.database,
      secret: createHmac("sha256", "lap-session").update(deps.masterKey).digest(),
      now: this.now,
      audit: deps.audit,
      activeAdminKey: async (id) => {
        const row = await this.activeKeyById(id);
        return row && row.kind === "admin" ? row : null;
      },
    });
  }

  /**
   * POST /api/keys and `lap keys create`: an admin or user key. Who may ask for which user and team is
   * checked by the caller (server/auth/keys-access.ts); here only that they exist.
   */
  async createKey(input: CreateKeyInput, actor: Principal | AuditActor = { kind: "system" }): Promise<{ key: ApiKeyView; token: string }> {
    const parsed = createKeyBody.parse(input);
    if (parsed.kind && parsed.role && parsed.kind !== parsed.role)
      throw badRequest("kind and role disagree: give one of them", [
        { field: "kind", message: `is ${parsed.kind} but role is ${parsed.role}` },
      ]);
    const kind = kindOfCreateInput(parsed);
    if (kind === "admin" && (parsed.user_id || parsed.team_id)) {
      throw badRequest("An admin key belongs to no user or team; make a user key for them", [
        { field: parsed.user_id ? "user_id" : "team_id", message: "not with kind admin" },
      ]);
    }
    // An unknown user or team is the caller's mistake (a 400 naming it), not a foreign-key failure (500).
    for (const [field, table, id] of [
      ["user_id", "users", parsed.user_id],
      ["team_id", "teams", parsed.team_id],
    ] as const) {
      if (id && !(await this.deps.database.query(`select 1 from ${table} where id = $1`, [id])).length)
        throw badRequest(`No ${field === "user_id" ? "user" : "team"} ${id}`, [
          { field, message: `no such ${field === "user_id" ? "user" : "team"}` },
        ]);
    }
    const { row, token } = await this.deps.database.db.transaction(async (tx) => {
      const made = await this.insertKey(tx, {
        label: parsed.label,
        kind,
        userId: parsed.user_id ?? null,
        teamId: parsed.team_id ?? null,
        metadata: parsed.metadata,
        expiresAt: parsed.expires_at ? new Date(parsed.expires_at) : null,
      });
      await this.audit.record(tx, {
        actor,
        action: "key.create",
        objectType: "api_key",
        objectId: made.row.id,
        teamId: made.row.teamId,
        after: this.view(made.row),
      });
      return made;
    });
    return { key: this.view(row), token };
  }

  /** Inserts a key of any kind, inside the caller's transaction when given one (virtual keys: /key/generate). */
  async insertKey(exec: DbExecutor, k: NewKey): Promise<{ row: ApiKeyRow; token: string }> {
    const token = randomToken(KEY_PREFIX, 24);
    const [row] = await exec
      .insert(apiKeys)
      .values({
        id: randomUUID(),
        keyHash: sha256Hex(token),
        keyPrefix: keyPrefixOf(token)!,
        label: k.label,
        kind: k.kind,
        userId: k.userId ?? null,
        teamId: k.teamId ?? null,
        role: k.kind === "admin" ? "admin" : "user",
        metadata: k.metadata ?? {},
        expiresAt: k.expiresAt ?? null,
      })
      .returning();
    return { row: row!, token };
  }

  private get audit() {
    return this.deps.audit ?? NO_AUDIT;
  }

  /**
   * A dashboard sign-in, or a refused one (`failed`: the reason; never the key or password tried).
   * Recorded on its own: a failed sign-in changes nothing else it could share a transaction with.
   */
  async recordSignIn(actor: Principal | AuditActor, method: string, failed?: { reason: string; email?: string }): Promise<void> {
    await this.audit.record(this.deps.database.db, {
      actor,
      action: failed ? "auth.login_failed" : "auth.login",
      objectType: "dashboard_session",
      objectId: "dashboardSessionId" in actor ? (actor.dashboardSessionId ?? null) : null,
      detail: { method, ...(failed ? { reason: failed.reason, ...(failed.email ? { email: failed.email } : {}) } : {}) },
    });
  }

  /** Every key (admins), or only one user's personal keys; optionally only keys of these kinds. */
  async listKeys(userId?: string, kinds?: readonly KeyKind[]): Promise<ApiKeyView[]> {
    const rows = await this.deps.database.db
      .select()
      .from(apiKeys)
      .where(and(userId ? eq(apiKeys.userId, userId) : undefined, kinds ? inArray(apiKeys.kind, [...kinds]) : undefined))
      .orderBy(desc(apiKeys.createdAt));
    return rows.map((r) => this.view(r));
  }

  /** Revokes a key; with `userId`, only that user's own (another's is 404). */
  async revokeKey(id: string, userId?: string, actor: Principal | AuditActor = { kind: "system" }): Promise<ApiKeyView> {
    const mine = userId ? eq(apiKeys.userId, userId) : undefined;
    const [row] = await audited(
      this.deps.database.db,
      this.audit,
      (tx) =>
        tx
          .update(apiKeys)
          .set({ revokedAt: new Date(this.now()) })
          .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt), mine))
          .returning(),
      ([r]) =>
        r
          ? {
              actor,
              action: "key.revoke",
              objectType: "api_key",
              objectId: id,
              teamId: r.teamId,
              before: { status: "active" },
              after: { status: "revoked" },
              detail: { label: r.label, kind: r.kind },
            }
          : null,
    );
    const existing =
      row ??
      (
        await this.deps.database.db
          .select()
          .from(apiKeys)
          .where(and(eq(apiKeys.id, id), mine))
      )[0];
    if (!existing) throw notFound("API key");
    this.cache.delete(existing.keyHash);
    // Its dashboard sign-ins end with it (they are refused anyway once the key is inactive; this records it).
    await this.sessions.revokeOfKey(existing.id);
    return this.view(existing);
  }

  /**
   * Resolves a bearer token to a principal, or null. The token is hashed once per call: that one SHA-256
   * is both the constant-time comparison with the master key and the stored key hash looked up.
   */
  async verifyToken(token: string): Promise<Principal | null> {
    if (!token) return null;
    const digest = createHash("sha256").update(token).digest();
    if (timingSafeEqual(digest, this.masterDigest)) return { via: "master_key", role: "admin", kind: "admin", label: "master key" };
    if (!token.startsWith(KEY_PREFIX)) return null;
    const keyHash = digest.toString("hex");
    const row = await this.lookup(keyHash);
    if (!row || !this.isActive(row)) return null;
    // A user key acts as its user (or team); gone or disabled users' keys stop working.
    let kind: Principal["kind"] = row.kind;
    let teams: Principal["teams"];
    let userId: string | undefined;
    if (row.kind === "user") {
      const owner = row.userId ? await this.identities.of(row.userId) : null;
      const resolved = keyTeams(row, owner);
      if (!resolved) return null;
      ({ kind, teams } = resolved);
      userId = row.userId ?? undefined;
    }
    this.used.add(row.id);
    return {
      via: "api_key",
      role: kind === "admin" ? "admin" : "user",
      kind,
      userId,
      teams,
      keyId: row.id,
      label: row.label,
      keyHash,
      sessionId: str(row.metadata.session_id),
      agentId: str(row.metadata.agent_id),
    };
  }

  /**
   * verifyToken behind the backoff (server/auth/backoff.ts): 429 while the caller's address or the key's
   * prefix is blocked, without checking the key; a failure counts against both.
   */
  async verifyTokenFrom(token: string, clientIp: string | undefined): Promise<Principal | null> {
    const buckets = AuthBackoff.bucketsOf(token, clientIp, keyPrefixOf);
    const wait = this.backoff.blockedFor(buckets);
    if (wait > 0) throw tooManyAttempts(wait);
    const principal = await this.verifyToken(token);
    if (principal) this.backoff.succeed(buckets);
    else this.backoff.fail(buckets);
    return principal;
  }

  /** Active API key row by id (used by session cookies and, later, the gateway). */
  async activeKeyById(id: string): Promise<ApiKeyRow | null> {
    const [row] = await this.deps.database.db.select().from(apiKeys).where(eq(apiKeys.id, id));
    return row && this.isActive(row) ? row : null;
  }

  /** Writes the batched `last_used_at` updates; called on a timer and at shutdown. */
  async flushUsage(): Promise<number> {
    if (this.used.size === 0) return 0;
    const ids = [...this.used];
    this.used.clear();
    await this.deps.database.db.update(apiKeys).set({ lastUsedAt: sql`now()` }).where(inArray(apiKeys.id, ids));
    return ids.length;
  }

  issueSession(principal: Principal): Promise<{ cookie: string; maxAgeSeconds: number; id: string }> {
    return this.sessions.issue(principal);
  }

  verifySession(cookie: string): Promise<Principal | null> {
    return this.sessions.verify(cookie);
  }

  private async lookup(hash: string): Promise<ApiKeyRow | null> {
    const hit = this.cache.get(hash);
    if (hit && hit.until > this.now()) return hit.row;
    const [row] = await this.deps.database.db.select().from(apiKeys).where(eq(apiKeys.keyHash, hash));
    this.cache.set(hash, { row: row ?? null, until: this.now() + CACHE_TTL_MS });
    if (this.cache.size > 10_000) this.cache.delete(this.cache.keys().next().value!);
    return row ?? null;
  }

  private isActive(row: ApiKeyRow) {
    return !row.revokedAt && (!row.expiresAt || row.expiresAt.getTime() > this.now());
  }

  /** A dashboard sign-in for a user (password, SSO or invitation): their principal, and the cookie. */
  async signInUser(userId: string): Promise<{ principal: Principal; cookie: string; maxAgeSeconds: number }> {
    this.identities.invalidate(userId);
    const identity = await this.identities.of(userId);
    if (!identity) throw notFound("User");
    const principal = userPrincipal(identity, "session");
    const session = await this.sessions.issue(principal);
    return { principal: { ...principal, dashboardSessionId: session.id }, cookie: session.cookie, maxAgeSeconds: session.maxAgeSeconds };
  }

  private view(row: ApiKeyRow): ApiKeyView {
    const status = row.revokedAt ? "revoked" : row.expiresAt && row.expiresAt.getTime() <= this.now() ? "expired" : "active";
    return {
      id: row.id,
      label: row.label,
      role: row.kind === "admin" ? "admin" : "user",
      kind: row.kind,
      user_id: row.userId,
      team_id: row.teamId,
      prefix: row.keyPrefix,
      created_at: row.createdAt.toISOString(),
      expires_at: row.expiresAt?.toISOString() ?? null,
      last_used_at: row.lastUsedAt?.toISOString() ?? null,
      revoked_at: row.revokedAt?.toISOString() ?? null,
      status,
    };
  }
}
