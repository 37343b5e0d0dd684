import type { Database } from "../../db/client";
import { durationMs } from "../keys/duration";
import { tooMany } from "../keys/limits";
import { ApiError } from "../../lib/errors";

/** A team's or user's budget as the gateway keeps it: the row at the last flush, plus what this replica spent since. */
export interface BudgetState {
  id: string;
  maxBudget: number | null;
  budgetDuration: string | null;
  budgetResetAt: Date | null;
  /** The models its keys may call (empty: every model), as LiteLLM's `models` on a team or user. */
  models: string[];
  /** Refused outright (a blocked team, a disabled user). */
  blocked: boolean;
  /** A team's rate limits (users have none): over this replica's calls in the current minute. */
  rpmLimit: number | null;
  tpmLimit: number | null;
  maxParallelRequests: number | null;
  inflight: number;
  windowStart: number;
  windowRequests: number;
  windowTokens: number;
  spend: number;
  unflushed: number;
  reserved: number;
  dirty: boolean;
}

interface Row {
  id: string;
  max_budget: number | null;
  budget_duration: string | null;
  budget_reset_at: Date | string | null;
  spend: number;
  blocked: boolean;
  models: string[] | string | null;
  rpm_limit: number | null;
  tpm_limit: number | null;
  max_parallel_requests: number | null;
}

const asDate = (v: Date | string | null) => (v === null ? null : v instanceof Date ? v : new Date(v));

/**
 * Budgets of teams or users (LiteLLM's `max_budget` and `budget_duration` on /team/new and /user/new),
 * kept like a virtual key's (server/gateway/keys/limits.ts): checked and reserved synchronously in
 * process, so concurrent calls cannot all spend the last cent; spend reaches the row as a delta added
 * in SQL at each flush, which reads the row back (other replicas' spend and changed budgets).
 */
export class BudgetBook {
  private states = new Map<string, BudgetState | null>();
  private loading = new Map<string, Promise<BudgetState | null>>();

  constructor(private readonly deps: { database: Database; table: "teams" | "users"; what: "Team" | "User"; now?: () => number }) {}

  private get blockedColumn() {
    return this.deps.table === "teams" ? "blocked_at" : "disabled_at";
  }

  private get limitColumns() {
    return this.deps.table === "teams"
      ? "rpm_limit, tpm_limit, max_parallel_requests"
      : "null::int as rpm_limit, null::int as tpm_limit, null::int as max_parallel_requests";
  }

  /** The state of one team or user (null: no such row). Loads concurrent first calls once. */
  async stateOf(id: string): Promise<BudgetState | null> {
    const hit = this.states.get(id);
    if (hit !== undefined) return hit;
    let pending = this.loading.get(id);
    if (!pending) {
      pending = (async () => {
        const [row] = await this.deps.database.query<Row>(
          `select id, max_budget, budget_duration, budget_reset_at, spend, (${this.blockedColumn} is not null) as blocked, models, ${this.limitColumns} from ${this.deps.table} where id = $1`,
          [id],
        );
        if (!this.states.has(id)) this.states.set(id, row ? fromRow(row) : null);
        if (this.states.size > 50_000) this.states.delete(this.states.keys().next().value!);
        return this.states.get(id)!;
      })().finally(() => this.loading.delete(id));
      this.loading.set(id, pending);
    }
    return pending;
  }

  cached(id: string): BudgetState | null | undefined {
    return this.states.get(id);
  }

  /**
   * Drops the cached state after its row changed (flushing its unsaved spend first). Awaited by the
   * change, so the next call after the change's response is held to the new models and limits.
   */
  async forget(id: string): Promise<void> {
    const s = this.states.get(id);
    if (s?.dirty) await this.flushOne(s).catch(() => {});
    this.states.delete(id);
  }

  /**
   * Refuses a call over budget, else reserves `estimate` until the call's cost is known. Returns the
   * release function, which records the real cost.
   */
  admit(s: BudgetState, now: number, estimate: number, enforce: boolean): (cost: number, tokens: number) => void {
    this.resetIfDue(s, now);
    const who = `${this.deps.what.toLowerCase()} ${s.id}`;
    if (s.blocked)
      throw new ApiError(
        403,
        this.deps.table === "teams" ? "team_blocked" : "user_disabled",
        `${this.deps.what} ${s.id} is ${this.deps.table === "teams" ? "blocked" : "disabled"}: its calls are refused`,
      );
    if (enforce && s.maxBudget !== null && s.spend + s.reserved >= s.maxBudget) {
      const resetIn = s.budgetResetAt ? (s.budgetResetAt.getTime() - now) / 1000 : undefined;
      throw tooMany(
        "budget_exceeded",
        `Budget has been exceeded: ${who} spent ${s.spend.toFixed(6)} of max_budget ${s.maxBudget}${s.budgetResetAt ? `; resets at ${s.budgetResetAt.toISOString()}` : ""}`,
        resetIn,
      );
    }
    // Rate limits hold every call for the team, whichever key makes it (LiteLLM's team tpm/rpm).
    if (now - s.windowStart >= 60_000) {
      s.windowStart = now;
      s.windowRequests = 0;
      s.windowTokens = 0;
    }
    const windowLeft = (s.windowStart + 60_000 - now) / 1000;
    if (s.maxParallelRequests !== null && s.inflight >= s.maxParallelRequests) {
      throw tooMany("parallel_request_limit_reached", `Max parallel requests reached: ${s.maxParallelRequests} in flight for ${who}`, 1);
    }
    if (s.rpmLimit !== null && s.windowRequests >= s.rpmLimit)
      throw tooMany("rate_limit_exceeded", `Rate limit reached: rpm_limit ${s.rpmLimit} for ${who}`, windowLeft);
    if (s.tpmLimit !== null && s.windowTokens >= s.tpmLimit)
      throw tooMany("rate_limit_exceeded", `Token rate limit reached: tpm_limit ${s.tpmLimit} for ${who}`, windowLeft);
    s.windowRequests++;
    s.inflight++;
    s.reserved += estimate;
    const window = s.windowStart;
    let released = false;
    return (cost, tokens) => {
      if (released) return;
      released = true;
      s.inflight = Math.max(0, s.inflight - 1);
      if (s.windowStart === window) s.windowTokens += tokens;
      s.reserved = Math.max(0, s.reserved - estimate);
      s.spend += cost;
      s.unflushed += cost;
      s.dirty = true;
    };
  }

  private resetIfDue(s: BudgetState, now: number) {
    const at = s.budgetResetAt?.getTime();
    if (!at || now < at || !s.budgetDuration) return;
    const step = durationMs(s.budgetDuration) ?? 86_400_000;
    let next = at;
    while (next <= now) next += step;
    s.spend = 0;
    s.unflushed = 0;
    s.budgetResetAt = new Date(next);
    s.dirty = true;
  }

  /** Adds this replica's spend to the rows (never overwrites: other replicas add theirs) and reads them back. */
  async flush(): Promise<number> {
    const dirty = [...this.states.values()].filter((s): s is BudgetState => s?.dirty === true);
    for (const s of dirty) await this.flushOne(s);
    return dirty.length;
  }

  private async flushOne(s: BudgetState) {
    const delta = s.unflushed;
    const window = s.budgetResetAt ? s.budgetResetAt.toISOString() : null;
    s.dirty = false;
    s.unflushed = 0;
    let fresh: Row | undefined;
    try {
      // Same window (or none): add. This replica advanced the window: start it. Older: drop (it was reset).
      [fresh] = await this.deps.database.query<Row>(
        `update ${this.deps.table} set
           spend = case when budget_reset_at is null or $2::timestamptz is null or budget_reset_at = $2::timestamptz then spend + $3
                        when budget_reset_at < $2::timestamptz then $3 else spend end,
           budget_reset_at = case when budget_reset_at < $2::timestamptz then $2::timestamptz else budget_reset_at end
         where id = $1
         returning id, max_budget, budget_duration, budget_reset_at, spend, (${this.blockedColumn} is not null) as blocked, models, ${this.limitColumns}`,
        [s.id, window, delta],
      );
    } catch (err) {
      s.unflushed += delta;
      s.dirty = true;
      throw err;
    }
    if (!fresh) return;
    const next = fromRow(fresh);
    s.maxBudget = next.maxBudget;
    s.budgetDuration = next.budgetDuration;
    s.budgetResetAt = next.budgetResetAt;
    s.blocked = next.blocked;
    s.models = next.models;
    s.rpmLimit = next.rpmLimit;
    s.tpmLimit = next.tpmLimit;
    s.maxParallelRequests = next.maxParallelRequests;
    s.spend = next.spend + s.unflushed;
  }
}

function fromRow(r: Row): BudgetState {
  return {
    id: r.id,
    maxBudget: r.max_budget === null ? null : Number(r.max_budget),
    budgetDuration: r.budget_duration,
    budgetResetAt: asDate(r.budget_reset_at),
    blocked: Boolean(r.blocked),
    models: asModels(r.models),
    rpmLimit: r.rpm_limit === null ? null : Number(r.rpm_limit),
    tpmLimit: r.tpm_limit === null ? null : Number(r.tpm_limit),
    maxParallelRequests: r.max_parallel_requests === null ? null : Number(r.max_parallel_requests),
    inflight: 0,
    windowStart: 0,
    windowRequests: 0,
    windowTokens: 0,
    spend: Number(r.spend),
    unflushed: 0,
    reserved: 0,
    dirty: false,
  };
}

/** jsonb comes back parsed from PostgreSQL and PGlite alike; a string only if a driver left it raw. */
function asModels(v: Row["models"]): string[] {
  const list = typeof v === "string" ? (JSON.parse(v) as unknown) : v;
  return Array.isArray(list) ? list.filter((m): m is string => typeof m === "string") : [];
}
