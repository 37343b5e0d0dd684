import { and, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import { createHash, createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { apiKeys, type ApiKeyRow } from "../../schema";
import type { Database } from "../db/client";
import { randomToken, safeEqual, sha256Hex } from "../lib/crypto";
import { notFound } from "../lib/errors";
import type { ApiKeyView, CreateKeyInput, Principal } from "./model";
import { createKeyBody } from "./model";

export const KEY_PREFIX = "sk-lap-";
const CACHE_TTL_MS = 10_000;
const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
export const SESSION_COOKIE = "lap_session";

export interface AuthServiceDeps {
  database: Database;
  masterKey: string;
  now?: () => number;
}

/**
 * API keys, the master key and dashboard sessions.
 * Verification is on every request, so valid keys are cached briefly by hash and `last_used_at`
 * is written in batches rather than once per request.
 */
export class AuthService {
  private cache = new Map<string, { row: ApiKeyRow | null; until: number }>();
  private used = new Set<string>();
  private readonly sessionSecret: Buffer;
  private readonly masterDigest: Buffer;
  private readonly now: () => number;

  constructor(private readonly deps: AuthServiceDeps) {
    this.now = deps.now ?? Date.now;
    this.masterDigest = createHash("sha256").update(deps.masterKey).digest();
    this.sessionSecret = createHmac("sha256", "lap-session").update(deps.masterKey).digest();
  }

  async createKey(input: CreateKeyInput): Promise<{ key: ApiKeyView; token: string }> {
    const parsed = createKeyBody.parse(input);
    const token = randomToken(KEY_PREFIX, 24);
    const [row] = await this.deps.database.db
      .insert(apiKeys)
      .values({
        id: randomUUID(),
        keyHash: sha256Hex(token),
        keyPrefix: token.slice(0, KEY_PREFIX.length + 4),
        label: parsed.label,
        role: parsed.role,
        metadata: parsed.metadata ?? {},
        expiresAt: parsed.expires_at ? new Date(parsed.expires_at) : null,
      })
      .returning();
    return { key: this.view(row!), token };
  }

  async listKeys(): Promise<ApiKeyView[]> {
    const rows = await this.deps.database.db.select().from(apiKeys).orderBy(desc(apiKeys.createdAt));
    return rows.map((r) => this.view(r));
  }

  async revokeKey(id: string): Promise<ApiKeyView> {
    const [row] = await this.deps.database.db
      .update(apiKeys)
      .set({ revokedAt: new Date(this.now()) })
      .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
      .returning();
    const existing = row ?? (await this.deps.database.db.select().from(apiKeys).where(eq(apiKeys.id, id)))[0];
    if (!existing) throw notFound("API key");
    this.cache.delete(existing.keyHash);
    return this.view(existing);
  }

  /**
   * Resolves a bearer token to a principal, or null. The token is hashed once per call: that one SHA-256
   * is both the constant-time comparison with the master key and the stored key hash looked up.
   */
  async verifyToken(token: string): Promise<Principal | null> {
    if (!token) return null;
    const digest = createHash("sha256").update(token).digest();
    if (timingSafeEqual(digest, this.masterDigest)) return { via: "master_key", role: "admin", label: "master key" };
    if (!token.startsWith(KEY_PREFIX)) return null;
    const keyHash = digest.toString("hex");
    const row = await this.lookup(keyHash);
    if (!row || !this.isActive(row)) return null;
    this.used.add(row.id);
    return { via: "api_key", role: row.role, keyId: row.id, label: row.label, keyHash };
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
    await this.deps.database.db
      .update(apiKeys)
      .set({ lastUsedAt: sql`now()` })
      .where(inArray(apiKeys.id, ids));
    return ids.length;
  }

  issueSession(principal: Principal): { cookie: string; maxAgeSeconds: number } {
    const payload = Buffer.from(
      JSON.stringify({ sub: principal.keyId ?? "master", role: principal.role, label: principal.label, exp: this.now() + SESSION_TTL_MS }),
    ).toString("base64url");
    return { cookie: `${payload}.${this.sign(payload)}`, maxAgeSeconds: SESSION_TTL_MS / 1000 };
  }

  async verifySession(cookie: string): Promise<Principal | null> {
    const [payload, signature] = cookie.split(".");
    if (!payload || !signature || !safeEqual(signature, this.sign(payload))) return null;
    let claims: { sub: string; role: Principal["role"]; label: string; exp: number };
    try {
      claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    } catch {
      return null;
    }
    if (typeof claims.exp !== "number" || claims.exp < this.now()) return null;
    if (claims.sub !== "master") {
      // A revoked or demoted key ends its dashboard sessions too.
      const row = await this.activeKeyById(claims.sub);
      if (!row || row.role !== "admin") return null;
    }
    return { via: "session", role: claims.role, keyId: claims.sub === "master" ? undefined : claims.sub, label: claims.label };
  }

  private sign(payload: string) {
    return createHmac("sha256", this.sessionSecret).update(payload).digest("base64url");
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

  private view(row: ApiKeyRow): ApiKeyView {
    const status = row.revokedAt ? "revoked" : row.expiresAt && row.expiresAt.getTime() <= this.now() ? "expired" : "active";
    return {
      id: row.id,
      label: row.label,
      role: row.role,
      prefix: row.keyPrefix,
      created_at: row.createdAt.toISOString(),
      expires_at: row.expiresAt?.toISOString() ?? null,
      last_used_at: row.lastUsedAt?.toISOString() ?? null,
      revoked_at: row.revokedAt?.toISOString() ?? null,
      status,
    };
  }
}
