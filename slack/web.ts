import type { LogLevel, Logger as SlackLogger, WebClient } from "@slack/web-api";
import type { Logger } from "../server/lib/logger";

/**
 * @slack/web-api (and Bolt, see index.ts) are loaded on first use: a LAP without Slack never pays
 * for them at start-up (bench/startup). Only types are imported statically.
 */
let webApi: Promise<typeof import("@slack/web-api")> | undefined;
export const loadWebApi = () => (webApi ??= import("@slack/web-api"));

/** `ErrorCode.RateLimitedError` of @slack/web-api, without loading it to compare. */
const RATE_LIMITED = "slack_webapi_rate_limited_error";

/**
 * Slack Web API clients. Rate-limited calls are rejected instead of silently waiting inside the
 * client, so the reply streamer can coalesce edits and honour `Retry-After` itself; other retries
 * are off because the inbox already makes processing retryable.
 */
export function slackLogger(log: Logger): SlackLogger {
  let level = "warn" as LogLevel;
  return {
    debug: () => {},
    info: () => {},
    warn: (...m: unknown[]) => log.warn({ slack: m.map(String).join(" ") }, "slack web api"),
    error: (...m: unknown[]) => log.error({ slack: m.map(String).join(" ") }, "slack web api"),
    setLevel: (l: LogLevel) => void (level = l),
    getLevel: () => level,
    setName: () => {},
  };
}

export function clientOptions(apiUrl: string, log: Logger) {
  return {
    slackApiUrl: apiUrl.endsWith("/") ? apiUrl : `${apiUrl}/`,
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
    logger: slackLogger(log),
    timeout: 10_000,
  };
}

/** One client per token (they keep a request queue each). */
export class SlackClients {
  private cache = new Map<string, WebClient>();
  constructor(private readonly opts: { apiUrl: string; log: Logger }) {}
  async forToken(token: string): Promise<WebClient> {
    let client = this.cache.get(token);
    if (!client) {
      const { WebClient } = await loadWebApi();
      client = this.cache.get(token) ?? new WebClient(token, clientOptions(this.opts.apiUrl, this.opts.log));
      this.cache.set(token, client);
    }
    return client;
  }
  async anonymous(): Promise<WebClient> {
    const { WebClient } = await loadWebApi();
    return new WebClient(undefined, clientOptions(this.opts.apiUrl, this.opts.log));
  }
}

/** Milliseconds Slack asked us to wait, when `err` is a rate-limit rejection. */
export function retryAfterMs(err: unknown): number | undefined {
  const e = err as { code?: string; retryAfter?: number };
  return e?.code === RATE_LIMITED ? Math.max(0, (e.retryAfter ?? 1) * 1000) : undefined;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs a Slack call, waiting out `Retry-After` a few times before giving up. */
export async function withRateLimit<T>(call: () => Promise<T>, attempts = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await call();
    } catch (err) {
      const wait = retryAfterMs(err);
      if (wait === undefined || i >= attempts) throw err;
      await sleep(wait);
    }
  }
}

export const slackErrorCode = (err: unknown) =>
  (err as { data?: { error?: string } })?.data?.error ?? (err as Error)?.message ?? String(err);
