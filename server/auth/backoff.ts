import { ApiError } from "../lib/errors";

export interface BackoffOptions {
  /** Failures a client address may make before it is slowed down. */
  ipFreeFailures: number;
  /** Failures against one key prefix (from any address) before that prefix is slowed down. */
  prefixFreeFailures: number;
  /** First block; each further failure doubles it, up to maxBlockMs. */
  baseBlockMs: number;
  maxBlockMs: number;
  /** A bucket with no failure for this long is forgotten. */
  forgetAfterMs: number;
  /** Most buckets kept; the least recently failed are dropped first (bounded memory under a spray). */
  maxBuckets: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  ipFreeFailures: 10,
  prefixFreeFailures: 20,
  baseBlockMs: 1_000,
  maxBlockMs: 15 * 60_000,
  forgetAfterMs: 15 * 60_000,
  maxBuckets: 10_000,
};

interface Bucket {
  failures: number;
  lastFailure: number;
  blockedUntil: number;
}

/**
 * Slows down guessing of keys (failed bearer auth and failed dashboard logins), per client address
 * and per key prefix (docs/security.md "Dashboard sessions, CSRF and login"). A blocked bucket is
 * answered 429 with Retry-After before any key is checked, so guesses made while blocked learn
 * nothing. Only failures count, and only from the bucket they came from: an attacker slows down its
 * own address, and a key prefix (never the master key, which has none) only if it knows the prefix.
 */
export class AuthBackoff {
  private buckets = new Map<string, Bucket>();

  constructor(
    private readonly opts: BackoffOptions = DEFAULT_BACKOFF,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The buckets a credential attempt belongs to: its client address and its key prefix. A local
   * sandbox's requests come through its bridge as `sandbox:<id>` (server/http/bridge-client.ts), its
   * own bucket. A plain loopback address has none: the operator's local CLI and browser are there, and
   * blocking them would lock the admin out.
   */
  static bucketsOf(token: string, clientIp: string | undefined, keyPrefix: (token: string) => string | undefined): string[] {
    const out: string[] = [];
    if (clientIp && !isLoopback(clientIp)) out.push(`ip:${clientIp}`);
    const prefix = keyPrefix(token);
    if (prefix) out.push(`prefix:${prefix}`);
    return out;
  }

  /** Milliseconds until every bucket is open again (0: go ahead). */
  blockedFor(buckets: string[]): number {
    const now = this.now();
    let wait = 0;
    for (const name of buckets) {
      const b = this.live(name, now);
      if (b && b.blockedUntil > now) wait = Math.max(wait, b.blockedUntil - now);
    }
    return wait;
  }

  fail(buckets: string[]) {
    const now = this.now();
    for (const name of buckets) {
      const b = this.live(name, now) ?? { failures: 0, lastFailure: now, blockedUntil: 0 };
      b.failures += 1;
      b.lastFailure = now;
      const free = name.startsWith("ip:") ? this.opts.ipFreeFailures : this.opts.prefixFreeFailures;
      if (b.failures > free) {
        const doublings = Math.min(b.failures - free - 1, 30);
        b.blockedUntil = now + Math.min(this.opts.baseBlockMs * 2 ** doublings, this.opts.maxBlockMs);
      }
      // Re-inserted so the map's order is least recently failed first.
      this.buckets.delete(name);
      this.buckets.set(name, b);
    }
    while (this.buckets.size > this.opts.maxBuckets) this.buckets.delete(this.buckets.keys().next().value!);
  }

  /**
   * A key that verified clears its own prefix bucket (only its holder can do that). Address buckets are
   * not cleared by a success: an attacker holding one valid key could otherwise reset its counter.
   */
  succeed(buckets: string[]) {
    for (const name of buckets) if (name.startsWith("prefix:")) this.buckets.delete(name);
  }

  get size() {
    return this.buckets.size;
  }

  private live(name: string, now: number): Bucket | undefined {
    const b = this.buckets.get(name);
    if (b && now - b.lastFailure > this.opts.forgetAfterMs && b.blockedUntil <= now) {
      this.buckets.delete(name);
      return undefined;
    }
    return b;
  }
}

export const tooManyAttempts = (waitMs: number) => {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return new ApiError(429, "rate_limited", `Too many failed attempts with a key from here; try again in ${seconds} s`, undefined, {
    "retry-after": String(seconds),
  });
};

/** 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
export function isLoopback(ip: string): boolean {
  const v4 = ip.startsWith("::ffff:") ? ip.slice(7) : ip;
  return v4.startsWith("127.") || ip === "::1" || ip === "0:0:0:0:0:0:0:1";
}
