import { and, desc, eq, inArray, isNull, or, sql } from "drizzle-orm";
import { apiKeys, gatewayKeys, type ApiKeyRow, type GatewayKeyRow } from "../../../schema";
import type { AuthService } from "../../auth/service";
import { audited, NO_AUDIT, type AuditPort } from "../../audit/record";
import type { Principal } from "../../auth/model";
import type { Database } from "../../db/client";
import { sha256Hex } from "../../lib/crypto";
import { badRequest, notFound } from "../../lib/errors";
import { durationMs } from "./duration";
import { newKeyState, resetBudgetIfDue, type KeyState } from "./limits";
import { generateKeyBody, updateKeyBody, type GenerateKeyInput, type KeyInfo, type UpdateKeyInput } from "./model";

export interface VirtualKeyDeps {
  database: Database;
  auth: AuthService;
  now?: () => number;
  /** The audit trail (server/audit): keys made, changed and revoked by a caller. */
  audit?: AuditPort;
}

/**
 * LiteLLM-style virtual keys: a foundation API key (kind `gateway`, or `session` when minted for a
 * session; hashed, expiring) plus a
 * `gateway_keys` row with limits. Limit state lives in memory (see limits.ts) and spend is
 * flushed to the row in batches.
 */
export class VirtualKeyService {
  private states = new Map<string, KeyState | null>();
  /** Loads in progress, so concurrent first calls of a key share one state (and one set of counters). */
  private loading = new Map<string, Promise<KeyState | null>>();
  private readonly now: () => number;

  constructor(private readonly deps: VirtualKeyDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * `scope` is LAP's own (not LiteLLM's): which MCP servers the key may reach through /mcp (a
   * session key: exactly its agent's servers). The key's session, agent and user go into the
   * foundation key's metadata too, so the MCP gateway attributes and authorizes its calls.
   */
  async generate(input: GenerateKeyInput, scope: { mcpServers?: string[] } = {}, actor?: Principal): Promise<KeyInfo & { key: string }> {
    const b = generateKeyBody.parse(input);
    const metadata: Record<string, unknown> = { gateway: true };
    if (b.session_id) metadata.session_id = b.session_id;
    if (b.agent_id) metadata.agent_id = b.agent_id;
    if (b.user_id) metadata.user_id = b.user_id;
    if (scope.mcpServers) metadata.mcp_servers = scope.mcpServers;
    const now = this.now();
    // One transaction: a failure after the key row leaves nothing behind (issue 15, item 10).
    const { api, gw, token } = await this.deps.database.db.transaction(async (tx) => {
      const { row: api, token } = await this.deps.auth.insertKey(tx, {
        label: b.key_alias ?? (b.session_id ? `session ${b.session_id}` : "virtual key"),
        // Bound to a session: only that session's model calls and its agent's MCP servers.
        kind: b.session_id ? "session" : "gateway",
        expiresAt: b.duration ? new Date(now + durationMs(b.duration)!) : null,
        metadata,
      });
      const [gw] = await tx
        .insert(gatewayKeys)
        .values({
          keyId: api.id,
          keyAlias: b.key_alias ?? null,
          models: b.models ?? [],
          maxBudget: b.max_budget ?? null,
          budgetDuration: b.budget_duration ?? null,
          budgetResetAt: b.budget_duration ? new Date(now + durationMs(b.budget_duration)!) : null,
          rpmLimit: b.rpm_limit ?? null,
          tpmLimit: b.tpm_limit ?? null,
          maxParallelRequests: b.max_parallel_requests ?? null,
          userId: b.user_id ?? null,
          teamId: b.team_id ?? null,
          sessionId: b.session_id ?? null,
          agentId: b.agent_id ?? null,
          metadata: b.metadata ?? {},
        })
        .returning();
      // Session keys LAP mints for its own sessions have no caller: the session's creation is the record.
      if (actor)
        await (this.deps.audit ?? NO_AUDIT).record(tx, {
          actor,
          action: "gateway_key.create",
          objectType: "api_key",
          objectId: api.id,
          teamId: gw!.teamId,
          after: this.view(api, gw!, 0),
        });
      return { api, gw: gw!, token };
    });
    this.states.set(api.id, newKeyState(gw));
    return { key: token, ...this.view(api, gw, 0) };
  }

  /** Finds a key by the raw token, its SHA-256 hash (LiteLLM's "token") or its id. */
  async find(ref: string): Promise<{ api: ApiKeyRow; gw: GatewayKeyRow } | null> {
    const hash = ref.startsWith("sk-") ? sha256Hex(ref) : ref;
    const rows = await this.deps.database.db
      .select({ api: apiKeys, gw: gatewayKeys })
      .from(apiKeys)
      .innerJoin(gatewayKeys, eq(gatewayKeys.keyId, apiKeys.id))
      .where(or(eq(apiKeys.keyHash, hash), eq(apiKeys.id, ref)));
    return rows[0] ?? null;
  }

  async info(ref: string): Promise<KeyInfo> {
    const found = await this.find(ref);
    if (!found) throw notFound("Key");
    return this.view(found.api, found.gw);
  }

  async update(input: UpdateKeyInput, actor?: Principal): Promise<KeyInfo> {
    const b = updateKeyBody.parse(input);
    const found = await this.find(b.key);
    if (!found) throw notFound("Key");
    const set: Partial<typeof gatewayKeys.$inferInsert> = { updatedAt: new Date(this.now()) };
    if (b.key_alias !== undefined) set.keyAlias = b.key_alias;
    if (b.models !== undefined) set.models = b.models;
    if (b.max_budget !== undefined) set.maxBudget = b.max_budget;
    if (b.budget_duration !== undefined) {
      set.budgetDuration = b.budget_duration;
      set.budgetResetAt = b.budget_duration ? new Date(this.now() + durationMs(b.budget_duration)!) : null;
    }
    if (b.rpm_limit !== undefined) set.rpmLimit = b.rpm_limit;
    if (b.tpm_limit !== undefined) set.tpmLimit = b.tpm_limit;
    if (b.max_parallel_requests !== undefined) set.maxParallelRequests = b.max_parallel_requests;
    if (b.metadata !== undefined) set.metadata = b.metadata;
    if (b.user_id !== undefined) set.userId = b.user_id;
    if (b.team_id !== undefined) set.teamId = b.team_id;
    await this.flush(); // persist in-memory spend before the row is replaced in the cache
    const { gw, api } = await audited(
      this.deps.database.db,
      this.deps.audit ?? NO_AUDIT,
      async (tx) => {
        const [gw] = await tx.update(gatewayKeys).set(set).where(eq(gatewayKeys.keyId, found.api.id)).returning();
        let api = found.api;
        if (b.duration !== undefined) {
          const expiresAt = b.duration ? new Date(this.now() + durationMs(b.duration)!) : null;
          [api] = (await tx.update(apiKeys).set({ expiresAt }).where(eq(apiKeys.id, found.api.id)).returning()) as [ApiKeyRow];
        }
        return { gw, api };
      },
      (r) =>
        actor
          ? {
              actor,
              action: "gateway_key.update",
              objectType: "api_key",
              objectId: found.api.id,
              teamId: r.gw!.teamId,
              before: this.view(found.api, found.gw),
              after: this.view(r.api, r.gw!),
            }
          : null,
    );
    const state = this.states.get(found.api.id);
    if (state) state.row = gw!;
    return this.view(api, gw!);
  }

  /** Revokes keys (they answer 401 at once) and drops their limit state. */
  async delete(refs: string[], aliases: string[] = [], actor?: Principal): Promise<string[]> {
    const ids: string[] = [];
    for (const ref of refs) {
      const found = await this.find(ref);
      if (!found) throw notFound(`Key ${ref.startsWith("sk-") ? `${ref.slice(0, 10)}…` : ref}`);
      ids.push(found.api.id);
    }
    if (aliases.length) {
      const rows = await this.deps.database.db
        .select({ id: gatewayKeys.keyId })
        .from(gatewayKeys)
        .where(inArray(gatewayKeys.keyAlias, aliases));
      if (rows.length === 0) throw notFound("Key alias");
      ids.push(...rows.map((r) => r.id));
    }
    for (const id of ids) {
      await this.deps.auth.revokeKey(id, undefined, actor);
      this.states.delete(id);
    }
    return ids;
  }

  async list(filter: {
    page: number;
    size: number;
    user_id?: string;
    team_id?: string;
    key_alias?: string;
  }): Promise<{ keys: KeyInfo[]; total: number }> {
    const conds = [isNull(apiKeys.revokedAt)];
    if (filter.user_id) conds.push(eq(gatewayKeys.userId, filter.user_id));
    if (filter.team_id) conds.push(eq(gatewayKeys.teamId, filter.team_id));
    if (filter.key_alias) conds.push(eq(gatewayKeys.keyAlias, filter.key_alias));
    const where = and(...conds);
    const rows = await this.deps.database.db
      .select({ api: apiKeys, gw: gatewayKeys })
      .from(apiKeys)
      .innerJoin(gatewayKeys, eq(gatewayKeys.keyId, apiKeys.id))
      .where(where)
      .orderBy(desc(apiKeys.createdAt))
      .limit(filter.size)
      .offset((filter.page - 1) * filter.size);
    const [count] = await this.deps.database.db
      .select({ n: sql<number>`count(*)::int` })
      .from(apiKeys)
      .innerJoin(gatewayKeys, eq(gatewayKeys.keyId, apiKeys.id))
      .where(where);
    return { keys: rows.map((r) => this.view(r.api, r.gw)), total: count?.n ?? 0 };
  }

  /** Limit state for an authenticated API key id; null when the key has no gateway limits. */
  async stateOf(keyId: string): Promise<KeyState | null> {
    const hit = this.states.get(keyId);
    if (hit !== undefined) return hit;
    let pending = this.loading.get(keyId);
    if (!pending) {
      pending = (async () => {
        const [row] = await this.deps.database.db.select().from(gatewayKeys).where(eq(gatewayKeys.keyId, keyId));
        const state = row ? newKeyState(row) : null;
        if (this.states.size > 50_000) this.states.delete(this.states.keys().next().value!);
        if (!this.states.has(keyId)) this.states.set(keyId, state);
        return this.states.get(keyId)!;
      })().finally(() => this.loading.delete(keyId));
      this.loading.set(keyId, pending);
    }
    return pending;
  }

  /**
   * Adds spend made elsewhere to a key (a sub-agent's, charged to its parent session's key: docs/memory.md
   * "Who pays"): counted against the key's max_budget like its own calls, flushed with them.
   */
  async charge(keyId: string, cost: number): Promise<void> {
    if (!(cost > 0)) return;
    const s = await this.stateOf(keyId);
    if (!s) return;
    s.spend += cost;
    s.unflushed += cost;
    s.dirty = true;
  }

  /** Cached state only (the hot path uses this first to avoid an await). */
  cached(keyId: string): KeyState | null | undefined {
    return this.states.get(keyId);
  }

  /**
   * For keys used since the last flush: adds this replica's spend to the row (never overwrites it: other
   * replicas add theirs) and reads the row back, so spend from elsewhere and limits changed through
   * another replica are seen here. A budget window this replica advanced is advanced on the row once;
   * spend that arrives stamped with an older window than the row's is dropped (its window was reset).
   */
  async flush(): Promise<number> {
    const dirty = [...this.states.values()].filter((s): s is KeyState => s?.dirty === true);
    for (const s of dirty) {
      const delta = s.unflushed;
      // As text: a Date inside a raw sql fragment is not serialized by every driver.
      const window = s.row.budgetResetAt ? s.row.budgetResetAt.toISOString() : null;
      s.dirty = false;
      s.unflushed = 0;
      let fresh: GatewayKeyRow | undefined;
      try {
        [fresh] = await this.deps.database.db
          .update(gatewayKeys)
          .set({
            // No window on either side, or the same window: add. This replica advanced it: start it.
            spend: sql`case
              when ${gatewayKeys.budgetResetAt} is null or ${window}::timestamptz is null or ${gatewayKeys.budgetResetAt} = ${window}::timestamptz then ${gatewayKeys.spend} + ${delta}
              when ${gatewayKeys.budgetResetAt} < ${window}::timestamptz then ${delta}
              else ${gatewayKeys.spend} end`,
            budgetResetAt: sql`case when ${gatewayKeys.budgetResetAt} < ${window}::timestamptz then ${window}::timestamptz else ${gatewayKeys.budgetResetAt} end`,
          })
          .where(eq(gatewayKeys.keyId, s.row.keyId))
          .returning();
      } catch (err) {
        s.unflushed += delta;
        s.dirty = true;
        throw err;
      }
      if (!fresh) continue;
      // What was spent here while the statement ran is not in the row yet.
      s.row = fresh;
      s.spend = fresh.spend + s.unflushed;
    }
    return dirty.length;
  }

  view(api: ApiKeyRow, gw: GatewayKeyRow, spendOverride?: number): KeyInfo {
    const state = this.states.get(api.id);
    if (state) resetBudgetIfDue(state, this.now());
    const now = this.now();
    const status = api.revokedAt ? "revoked" : api.expiresAt && api.expiresAt.getTime() <= now ? "expired" : "active";
    return {
      token: api.keyHash,
      token_id: api.id,
      key_name: `${api.keyPrefix}…`,
      key_alias: gw.keyAlias,
      models: gw.models,
      spend: spendOverride ?? state?.spend ?? gw.spend,
      max_budget: gw.maxBudget,
      budget_duration: gw.budgetDuration,
      budget_reset_at: (state?.row.budgetResetAt ?? gw.budgetResetAt)?.toISOString() ?? null,
      rpm_limit: gw.rpmLimit,
      tpm_limit: gw.tpmLimit,
      max_parallel_requests: gw.maxParallelRequests,
      expires: api.expiresAt?.toISOString() ?? null,
      user_id: gw.userId,
      team_id: gw.teamId,
      session_id: gw.sessionId,
      agent_id: gw.agentId,
      metadata: gw.metadata,
      // LiteLLM's per-key model aliases and config overrides: LAP has neither, so they are always empty.
      aliases: {},
      config: {},
      created_at: api.createdAt.toISOString(),
      status,
      kind: api.kind === "session" ? "session" : "gateway",
    };
  }

  /** Rejects a malformed reference early so /key/info answers 400 rather than 404. */
  static checkRef(ref: string | undefined) {
    if (!ref) throw badRequest("key is required: the key, its hash or its id", [{ field: "key", message: "required" }]);
  }
}
