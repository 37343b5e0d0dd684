import type { GatewayKeyRow } from "../../../schema";
import type { ErrorCode } from "../../lib/error-codes";
import { ApiError } from "../../lib/errors";
import { durationMs } from "./duration";

/**
 * In-process accounting for one virtual key: budgets and rate limits are checked and reserved
 * synchronously, which makes them hold under concurrency without a database round trip per request.
 * Spend reaches the row as a delta (`unflushed`) added in SQL at each flush, and the flush reads the
 * row back: several replicas add up instead of overwriting each other, and each sees the others'
 * spend (and limits changed through another replica) within one flush interval.
 */
export interface KeyState {
  row: GatewayKeyRow;
  /** The key's spend in the current budget window: the row's at the last flush plus `unflushed`. */
  spend: number;
  /** Spend made here since the last flush (in the current window). */
  unflushed: number;
  /** Cost reserved by requests in flight, so parallel calls cannot all spend the last cent. */
  reserved: number;
  inflight: number;
  windowStart: number;
  windowRequests: number;
  windowTokens: number;
  dirty: boolean;
}

export const newKeyState = (row: GatewayKeyRow): KeyState => ({
  row,
  spend: row.spend,
  unflushed: 0,
  reserved: 0,
  inflight: 0,
  windowStart: 0,
  windowRequests: 0,
  windowTokens: 0,
  dirty: false,
});

export const tooMany = (code: ErrorCode, message: string, retryAfterSeconds?: number) =>
  new ApiError(
    429,
    code,
    message,
    undefined,
    retryAfterSeconds !== undefined ? { "retry-after": String(Math.max(1, Math.ceil(retryAfterSeconds))) } : undefined,
  );

/** Advances the budget window when its reset time has passed. */
export function resetBudgetIfDue(s: KeyState, now: number) {
  const at = s.row.budgetResetAt?.getTime();
  if (!at || now < at || !s.row.budgetDuration) return;
  const step = durationMs(s.row.budgetDuration) ?? 86_400_000;
  let next = at;
  while (next <= now) next += step;
  s.spend = 0;
  // Spend not yet flushed belonged to the window that just ended, which starts over anyway.
  s.unflushed = 0;
  s.row = { ...s.row, budgetResetAt: new Date(next) };
  s.dirty = true;
}

/** Checks every limit and, if all pass, admits the request: returns a release function. */
export function admit(s: KeyState, now: number, estimatedCost: number): (cost: number, tokens: number) => void {
  resetBudgetIfDue(s, now);
  const r = s.row;
  if (now - s.windowStart >= 60_000) {
    s.windowStart = now;
    s.windowRequests = 0;
    s.windowTokens = 0;
  }
  const windowLeft = (s.windowStart + 60_000 - now) / 1000;
  if (r.maxBudget !== null && s.spend + s.reserved >= r.maxBudget) {
    const resetIn = r.budgetResetAt ? (r.budgetResetAt.getTime() - now) / 1000 : undefined;
    throw tooMany(
      "budget_exceeded",
      `Budget has been exceeded: spend ${s.spend.toFixed(6)} of max_budget ${r.maxBudget}${resetIn !== undefined ? `; resets at ${r.budgetResetAt!.toISOString()}` : ""}`,
      resetIn,
    );
  }
  if (r.maxParallelRequests !== null && s.inflight >= r.maxParallelRequests) {
    throw tooMany("parallel_request_limit_reached", `Max parallel requests reached: ${r.maxParallelRequests} in flight for this key`, 1);
  }
  if (r.rpmLimit !== null && s.windowRequests >= r.rpmLimit) {
    throw tooMany("rate_limit_exceeded", `Rate limit reached: rpm_limit ${r.rpmLimit} for this key`, windowLeft);
  }
  if (r.tpmLimit !== null && s.windowTokens >= r.tpmLimit) {
    throw tooMany("rate_limit_exceeded", `Token rate limit reached: tpm_limit ${r.tpmLimit} for this key`, windowLeft);
  }
  s.windowRequests++;
  s.inflight++;
  s.reserved += estimatedCost;
  let released = false;
  return (cost, tokens) => {
    if (released) return;
    released = true;
    s.inflight--;
    s.reserved = Math.max(0, s.reserved - estimatedCost);
    s.spend += cost;
    s.unflushed += cost;
    s.windowTokens += tokens;
    // Even at no cost: the next flush re-reads the row, so this replica sees others' spend.
    s.dirty = true;
  };
}

/** `models` on a key: empty means every model; entries may be wildcards like `openai/*`. */
export function modelAllowed(models: string[], model: string, group: string | undefined): boolean {
  if (models.length === 0) return true;
  return models.some(
    (m) => m === "*" || m === "all-proxy-models" || m === model || m === group || (m.endsWith("*") && model.startsWith(m.slice(0, -1))),
  );
}
