/** Builds Slack requests signed the way Slack signs them (v0 HMAC-SHA256 over `v0:{ts}:{body}`). */
import { createHmac } from "node:crypto";

export function slackSignature(secret: string, timestamp: number, body: string) {
  return `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
}

export interface SignedOptions {
  secret: string;
  /** Seconds since the epoch; defaults to now. */
  timestamp?: number;
  retryNum?: number;
  retryReason?: string;
  /** Overrides the computed signature (for bad-signature tests). */
  signature?: string;
}

export function signedRequest(url: string, body: string, contentType: string, opts: SignedOptions): Request {
  const ts = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    "content-type": contentType,
    "x-slack-request-timestamp": String(ts),
    "x-slack-signature": opts.signature ?? slackSignature(opts.secret, ts, body),
  };
  if (opts.retryNum !== undefined) {
    headers["x-slack-retry-num"] = String(opts.retryNum);
    headers["x-slack-retry-reason"] = opts.retryReason ?? "http_timeout";
  }
  return new Request(url, { method: "POST", headers, body });
}

export const signedEvent = (base: string, payload: unknown, opts: SignedOptions) =>
  signedRequest(`${base}/slack/events`, JSON.stringify(payload), "application/json", opts);

export const signedInteraction = (base: string, payload: unknown, opts: SignedOptions) =>
  signedRequest(
    `${base}/slack/interactivity`,
    new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
    "application/x-www-form-urlencoded",
    opts,
  );

export const signedCommand = (base: string, fields: Record<string, string>, opts: SignedOptions) =>
  signedRequest(`${base}/slack/commands`, new URLSearchParams(fields).toString(), "application/x-www-form-urlencoded", opts);

let n = 0;
/** An Events API envelope around `event`, with a fresh event_id unless given. */
export function eventEnvelope(event: Record<string, unknown>, opts: { teamId?: string; eventId?: string } = {}) {
  n += 1;
  return {
    token: "deprecated-verification-token",
    team_id: opts.teamId ?? "T1",
    api_app_id: "AFAKE",
    type: "event_callback",
    event_id: opts.eventId ?? `Ev${Date.now()}${n}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: opts.teamId ?? "T1", user_id: `UBOT${opts.teamId ?? "T1"}`, is_bot: true }],
    event: { event_ts: event.ts, ...event },
  };
}
