import type { Attempt, Deployment, RouterSettings } from "../types";

interface DeploymentState {
  inflight: number;
  /** Failure timestamps within the last minute (allowed_fails counts these). */
  fails: number[];
  cooldownUntil: number;
  latencyEwma: number;
  windowStart: number;
  windowRequests: number;
  windowTokens: number;
}

/** What an attempt function reports: a result to return, or a failure the router may retry elsewhere. */
export type AttemptOutcome<T> =
  | { ok: true; value: T }
  | { ok: false; status: number | "error" | "timeout"; error: string; retryable: boolean; value?: T };

export interface RouteResult<T> {
  outcome: AttemptOutcome<T>;
  attempts: Attempt[];
  deployment?: Deployment;
  modelGroup?: string;
}

const isWildcard = (name: string) => name.endsWith("*");

/**
 * Picks a deployment for a model group (exact names first, then the longest matching wildcard),
 * retries on other deployments, falls back to other groups, and cools down deployments that fail
 * `allowed_fails` times within a minute. State is per process: LAP is one process.
 */
export class Router {
  private groups = new Map<string, Deployment[]>();
  private wildcards: Deployment[][] = [];
  private state = new Map<string, DeploymentState>();

  constructor(
    private settings: RouterSettings,
    private now: () => number = Date.now,
  ) {}

  setDeployments(deployments: Deployment[], settings?: RouterSettings) {
    if (settings) this.settings = settings;
    const groups = new Map<string, Deployment[]>();
    for (const d of deployments) {
      const list = groups.get(d.modelName) ?? [];
      list.push(d);
      groups.set(d.modelName, list);
    }
    this.groups = groups;
    this.wildcards = [...groups.entries()]
      .filter(([n]) => isWildcard(n))
      .sort((a, b) => b[0].length - a[0].length)
      .map(([, v]) => v);
  }

  get routerSettings() {
    return this.settings;
  }

  deployments(): Deployment[] {
    return [...this.groups.values()].flat();
  }

  /** Group names a caller can ask for (wildcards are listed as they are written). */
  modelGroups(): string[] {
    return [...this.groups.keys()];
  }

  /** The deployments a requested model name resolves to, or undefined. */
  resolve(model: string): { group: string; deployments: Deployment[] } | undefined {
    const exact = this.groups.get(model);
    if (exact && !isWildcard(model)) return { group: model, deployments: exact };
    for (const list of this.wildcards) {
      const name = list[0]!.modelName;
      if (model.startsWith(name.slice(0, -1))) return { group: name, deployments: list };
    }
    return undefined;
  }

  stateOf(id: string): DeploymentState {
    let s = this.state.get(id);
    if (!s) {
      s = { inflight: 0, fails: [], cooldownUntil: 0, latencyEwma: 0, windowStart: 0, windowRequests: 0, windowTokens: 0 };
      this.state.set(id, s);
    }
    return s;
  }

  private window(s: DeploymentState, now: number) {
    if (now - s.windowStart >= 60_000) {
      s.windowStart = now;
      s.windowRequests = 0;
      s.windowTokens = 0;
    }
  }

  /** A healthy deployment of the list, preferring ones not yet tried, lowest `order` first. */
  pick(list: Deployment[], tried: Set<string>): Deployment | undefined {
    const now = this.now();
    const healthy = list.filter((d) => {
      const s = this.stateOf(d.id);
      this.window(s, now);
      if (s.cooldownUntil > now) return false;
      if (d.rpm !== undefined && s.windowRequests >= d.rpm) return false;
      if (d.tpm !== undefined && s.windowTokens >= d.tpm) return false;
      return true;
    });
    const fresh = healthy.filter((d) => !tried.has(d.id));
    let pool = fresh.length > 0 ? fresh : healthy;
    if (pool.length === 0) return undefined;
    const minOrder = Math.min(...pool.map((d) => d.order));
    pool = pool.filter((d) => d.order === minOrder);
    if (pool.length === 1) return pool[0];
    switch (this.settings.routingStrategy) {
      case "least-busy":
        return pool.reduce((a, b) => (this.stateOf(b.id).inflight < this.stateOf(a.id).inflight ? b : a));
      case "latency-based":
        return pool.reduce((a, b) => (this.stateOf(b.id).latencyEwma < this.stateOf(a.id).latencyEwma ? b : a));
      case "usage-based":
        return pool.reduce((a, b) => (this.stateOf(b.id).windowTokens < this.stateOf(a.id).windowTokens ? b : a));
      default: {
        // Weighted by `weight`, else by rpm, as LiteLLM's simple-shuffle does.
        const weights = pool.map((d) => (d.weight !== 1 ? d.weight : (d.rpm ?? 1)));
        let r = Math.random() * weights.reduce((a, b) => a + b, 0);
        for (let i = 0; i < pool.length; i++) if ((r -= weights[i]!) <= 0) return pool[i];
        return pool[pool.length - 1];
      }
    }
  }

  /** Seconds until the first deployment of the list leaves cooldown (for retry-after). */
  cooldownRemaining(list: Deployment[]): number {
    const now = this.now();
    const until = Math.min(...list.map((d) => this.stateOf(d.id).cooldownUntil));
    return Math.max(1, Math.ceil((until - now) / 1000));
  }

  begin(d: Deployment) {
    const s = this.stateOf(d.id);
    this.window(s, this.now());
    s.inflight++;
    s.windowRequests++;
  }

  /** Marks the end of an attempt; returns true when the deployment went into cooldown. */
  end(d: Deployment, ok: boolean, ms: number): boolean {
    const s = this.stateOf(d.id);
    s.inflight = Math.max(0, s.inflight - 1);
    if (ok) {
      s.latencyEwma = s.latencyEwma === 0 ? ms : s.latencyEwma * 0.8 + ms * 0.2;
      return false;
    }
    const now = this.now();
    s.fails = s.fails.filter((t) => now - t < 60_000);
    s.fails.push(now);
    if (s.fails.length >= this.settings.allowedFails) {
      s.cooldownUntil = now + this.settings.cooldownSeconds * 1000;
      s.fails = [];
      return true;
    }
    return false;
  }

  addTokens(d: Deployment, tokens: number) {
    this.stateOf(d.id).windowTokens += tokens;
  }

  /**
   * Runs `attempt` on deployments of `model` and then of its fallback groups: up to 1 + num_retries
   * attempts per group, moving on when a failure is retryable, stopping at the first success or
   * non-retryable failure.
   */
  async route<T>(
    model: string,
    attempt: (d: Deployment, group: string) => Promise<AttemptOutcome<T>>,
    opts: { allowFallbacks?: boolean } = {},
  ): Promise<RouteResult<T>> {
    const attempts: Attempt[] = [];
    const first = this.resolve(model);
    // Session keys pin the agent's model: a fallback would swap it silently, so they retry within the group only.
    const fallbacks =
      opts.allowFallbacks === false ? [] : (this.settings.fallbacks[first?.group ?? model] ?? this.settings.fallbacks[model] ?? []);
    const groups = [model, ...fallbacks];
    let last: AttemptOutcome<T> | undefined;
    for (const groupName of groups) {
      const resolved = groupName === model ? first : this.resolve(groupName);
      if (!resolved) continue;
      const tried = new Set<string>();
      for (let i = 0; i <= this.settings.numRetries; i++) {
        const d = this.pick(resolved.deployments, tried);
        if (!d) {
          last ??= {
            ok: false,
            status: 429,
            retryable: true,
            error: `No deployments available for ${resolved.group}: all are cooling down; retry in ${this.cooldownRemaining(resolved.deployments)}s`,
          };
          break;
        }
        tried.add(d.id);
        const started = this.now();
        this.begin(d);
        let outcome: AttemptOutcome<T>;
        try {
          outcome = await attempt(d, groupName);
        } catch (err) {
          outcome = { ok: false, status: "error", retryable: true, error: (err as Error).message };
        }
        const ms = this.now() - started;
        const cooled = this.end(d, outcome.ok, ms);
        attempts.push({
          deployment: d.id,
          model_group: resolved.group,
          status: outcome.ok ? 200 : outcome.status,
          ms,
          ...(outcome.ok ? {} : { error: outcome.error }),
          ...(cooled ? { cooldown: true } : {}),
        });
        if (outcome.ok || !outcome.retryable) return { outcome, attempts, deployment: d, modelGroup: resolved.group };
        last = outcome;
      }
    }
    return {
      outcome: last ?? { ok: false, status: 400, retryable: false, error: `Invalid model name passed in model=${model}` },
      attempts,
    };
  }
}
