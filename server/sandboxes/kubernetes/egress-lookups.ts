/**
 * On-demand lookups of sandboxes the pod egress proxy does not know (a pod bound by another replica,
 * whose first request lands here before this replica's next reconcile pass). Anyone who can reach the
 * proxy can send made-up credentials, so lookups are bounded: a miss (no such live claim, or the
 * lookup failed or was too slow) is remembered for a short while, one sandbox id is looked up once at
 * a time, and beyond `maxConcurrent` lookups in flight a request is answered at once (407) without one.
 */
import type { Logger } from "../../lib/logger";

export interface EgressLookupLimits {
  /** Lookups in flight at once, over all sandbox ids. */
  maxConcurrent: number;
  /** How long a miss is remembered; a pod bound later than that is found on its next attempt. */
  missTtlMs: number;
  /** Misses remembered at most (the oldest go first), so random ids cannot grow memory. */
  maxMisses: number;
  /** A lookup slower than this answers the request as a miss; the lookup itself goes on (and stays counted). */
  timeoutMs: number;
}

export const DEFAULT_EGRESS_LOOKUP_LIMITS: EgressLookupLimits = {
  maxConcurrent: 4,
  missTtlMs: 10_000,
  maxMisses: 10_000,
  timeoutMs: 5_000,
};

export class EgressLookups {
  private inFlight = new Map<string, Promise<void>>();
  /** Sandbox id → when its miss expires (ms since the epoch); insertion order is age order. */
  private misses = new Map<string, number>();

  constructor(
    private readonly deps: {
      /** Finds and registers the sandbox; false when it does not exist. */
      lookup(sandboxId: string): Promise<boolean>;
      limits?: Partial<EgressLookupLimits>;
      logger: Logger;
    },
  ) {}

  private get limits(): EgressLookupLimits {
    return { ...DEFAULT_EGRESS_LOOKUP_LIMITS, ...this.deps.limits };
  }

  /** Settles when the lookup for `sandboxId` is done, skipped or timed out; the caller then checks again. */
  resolve(sandboxId: string): Promise<void> {
    const until = this.misses.get(sandboxId);
    if (until !== undefined && until > Date.now()) return Promise.resolve();
    this.misses.delete(sandboxId);
    const running = this.inFlight.get(sandboxId) ?? this.start(sandboxId);
    if (!running) return Promise.resolve();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.limits.timeoutMs)));
    return Promise.race([running, timeout]).finally(() => clearTimeout(timer));
  }

  private start(sandboxId: string): Promise<void> | null {
    if (this.inFlight.size >= this.limits.maxConcurrent) return null;
    const run = this.deps
      .lookup(sandboxId)
      .then(
        (found) => {
          if (!found) this.miss(sandboxId);
        },
        (err) => {
          this.deps.logger.warn(
            { sandbox_id: sandboxId, err: (err as Error).message },
            "looking up an unknown sandbox for its egress failed",
          );
          this.miss(sandboxId);
        },
      )
      .finally(() => this.inFlight.delete(sandboxId));
    this.inFlight.set(sandboxId, run);
    return run;
  }

  private miss(sandboxId: string) {
    const { missTtlMs, maxMisses } = this.limits;
    this.misses.delete(sandboxId);
    this.misses.set(sandboxId, Date.now() + missTtlMs);
    while (this.misses.size > maxMisses) this.misses.delete(this.misses.keys().next().value!);
  }

  /** Lookups in flight now (tests). */
  get pending(): number {
    return this.inFlight.size;
  }
}
