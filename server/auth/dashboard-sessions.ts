import { and, desc, eq, gt, isNull, lt } from "drizzle-orm";
import { createHmac, randomUUID } from "node:crypto";
import { dashboardSessions, type ApiKeyRow, type DashboardSessionRow } from "../../schema";
import { audited, NO_AUDIT, type AuditPort } from "../audit/record";
import type { Database } from "../db/client";
import { randomToken } from "../lib/crypto";
import { notFound } from "../lib/errors";
import { userPrincipal, type Identities } from "./identity";
import type { DashboardSessionView, Principal } from "./model";

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
const CACHE_TTL_MS = 5_000;

/**
 * Dashboard sign-ins as rows (docs/security.md "Dashboard sessions, CSRF and login"): logout ends
 * one, revoking the API key it was made from ends its sessions, an admin can end them all. The
 * cookie is a random token; the row stores its HMAC keyed from the master key, so a new MASTER_KEY
 * ends every session too. Checks are cached for a few seconds per replica (revocations made here
 * clear the cache at once; other replicas see them within CACHE_TTL_MS).
 */
export class DashboardSessions {
  private cache = new Map<string, { row: DashboardSessionRow | null; until: number }>();

  constructor(
    private readonly deps: {
      database: Database;
      identities: Identities;
      secret: Buffer;
      now: () => number;
      /** The key a session was made from, if it is still an active admin key. */
      activeAdminKey: (id: string) => Promise<ApiKeyRow | null>;
      /** The audit trail (server/audit): revocations a caller asks for are recorded. */
      audit?: AuditPort;
    },
  ) {}

  async issue(principal: Principal): Promise<{ cookie: string; maxAgeSeconds: number; id: string }> {
    const token = randomToken("", 32);
    const id = randomUUID();
    const now = this.deps.now();
    await this.deps.database.db.insert(dashboardSessions).values({
      id,
      tokenHash: this.hash(token),
      keyId: principal.keyId ?? null,
      userId: principal.userId ?? null,
      label: principal.label,
      createdAt: new Date(now),
      expiresAt: new Date(now + SESSION_TTL_MS),
    });
    // Expired rows are of no use to anyone; sign-ins are rare, so this is where they go.
    await this.deps.database.db.delete(dashboardSessions).where(lt(dashboardSessions.expiresAt, new Date(now - SESSION_TTL_MS)));
    return { cookie: token, maxAgeSeconds: SESSION_TTL_MS / 1000, id };
  }

  async verify(cookie: string): Promise<Principal | null> {
    if (!cookie || cookie.length > 200) return null;
    const row = await this.lookup(this.hash(cookie));
    const now = this.deps.now();
    if (!row || row.revokedAt || row.expiresAt.getTime() <= now) return null;
    if (row.userId) {
      // A user's sign-in carries their current role and teams; a disabled or deleted user is signed out.
      const identity = await this.deps.identities.of(row.userId);
      return identity ? userPrincipal(identity, "session", { dashboardSessionId: row.id }) : null;
    }
    if (row.keyId) {
      // A revoked or demoted key ends its dashboard sessions too.
      const key = await this.deps.activeAdminKey(row.keyId);
      if (!key) return null;
    }
    return { via: "session", role: "admin", kind: "admin", keyId: row.keyId ?? undefined, label: row.label, dashboardSessionId: row.id };
  }

  /** Ends one sign-in (logout); with `actor`, an `auth.logout` audit row in the same transaction. */
  async end(id: string, actor?: Principal): Promise<void> {
    await audited(
      this.deps.database.db,
      this.deps.audit ?? NO_AUDIT,
      (tx) =>
        tx
          .update(dashboardSessions)
          .set({ revokedAt: new Date(this.deps.now()) })
          .where(and(eq(dashboardSessions.id, id), isNull(dashboardSessions.revokedAt)))
          .returning({ id: dashboardSessions.id }),
      ([r]) => (r && actor ? { actor, action: "auth.logout", objectType: "dashboard_session", objectId: id } : null),
    );
    this.cache.clear();
  }

  /** Ends one session by id (admin; a user only its own); 404 when there is no live one. */
  async revoke(id: string, userId?: string, actor?: Principal): Promise<void> {
    const [row] = await audited(
      this.deps.database.db,
      this.deps.audit ?? NO_AUDIT,
      (tx) =>
        tx
          .update(dashboardSessions)
          .set({ revokedAt: new Date(this.deps.now()) })
          .where(
            and(
              eq(dashboardSessions.id, id),
              isNull(dashboardSessions.revokedAt),
              userId ? eq(dashboardSessions.userId, userId) : undefined,
            ),
          )
          .returning({ id: dashboardSessions.id, userId: dashboardSessions.userId, keyId: dashboardSessions.keyId }),
      ([r]) =>
        r && actor
          ? {
              actor,
              action: "dashboard_session.revoke",
              objectType: "dashboard_session",
              objectId: id,
              detail: { user_id: r.userId, key_id: r.keyId },
            }
          : null,
    );
    this.cache.clear();
    if (!row) throw notFound("Dashboard session");
  }

  /** Ends every sign-in of a user (disabled, deleted, or "sign out everywhere"). */
  async revokeOfUser(userId: string, actor?: Principal): Promise<number> {
    const rows = await audited(
      this.deps.database.db,
      this.deps.audit ?? NO_AUDIT,
      (tx) =>
        tx
          .update(dashboardSessions)
          .set({ revokedAt: new Date(this.deps.now()) })
          .where(and(eq(dashboardSessions.userId, userId), isNull(dashboardSessions.revokedAt)))
          .returning({ id: dashboardSessions.id }),
      (gone) =>
        actor
          ? { actor, action: "dashboard_session.revoke_all", objectType: "user", objectId: userId, detail: { revoked: gone.length } }
          : null,
    );
    this.cache.clear();
    return rows.length;
  }

  async revokeOfKey(keyId: string): Promise<void> {
    await this.deps.database.db
      .update(dashboardSessions)
      .set({ revokedAt: new Date(this.deps.now()) })
      .where(and(eq(dashboardSessions.keyId, keyId), isNull(dashboardSessions.revokedAt)));
    this.cache.clear();
  }

  async revokeAll(actor?: Principal): Promise<number> {
    const rows = await audited(
      this.deps.database.db,
      this.deps.audit ?? NO_AUDIT,
      (tx) =>
        tx
          .update(dashboardSessions)
          .set({ revokedAt: new Date(this.deps.now()) })
          .where(and(isNull(dashboardSessions.revokedAt), gt(dashboardSessions.expiresAt, new Date(this.deps.now()))))
          .returning({ id: dashboardSessions.id }),
      (gone) =>
        actor
          ? {
              actor,
              action: "dashboard_session.revoke_all",
              objectType: "dashboard_session",
              objectId: null,
              detail: { revoked: gone.length },
            }
          : null,
    );
    this.cache.clear();
    return rows.length;
  }

  /** Live sign-ins: all of them (admins), or one user's. */
  async list(currentId?: string, userId?: string): Promise<DashboardSessionView[]> {
    const rows = await this.deps.database.db
      .select()
      .from(dashboardSessions)
      .where(
        and(
          isNull(dashboardSessions.revokedAt),
          gt(dashboardSessions.expiresAt, new Date(this.deps.now())),
          userId ? eq(dashboardSessions.userId, userId) : undefined,
        ),
      )
      .orderBy(desc(dashboardSessions.createdAt));
    return rows.map((r) => ({
      id: r.id,
      label: r.label,
      key_id: r.keyId,
      user_id: r.userId,
      created_at: r.createdAt.toISOString(),
      expires_at: r.expiresAt.toISOString(),
      current: r.id === currentId,
    }));
  }

  private hash(token: string) {
    return createHmac("sha256", this.deps.secret).update(token).digest("hex");
  }

  private async lookup(hash: string): Promise<DashboardSessionRow | null> {
    const now = this.deps.now();
    const hit = this.cache.get(hash);
    if (hit && hit.until > now) return hit.row;
    const [row] = await this.deps.database.db.select().from(dashboardSessions).where(eq(dashboardSessions.tokenHash, hash));
    this.cache.set(hash, { row: row ?? null, until: now + CACHE_TTL_MS });
    if (this.cache.size > 10_000) this.cache.delete(this.cache.keys().next().value!);
    return row ?? null;
  }
}
