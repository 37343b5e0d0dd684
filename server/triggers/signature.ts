/**
 * Webhook signatures, both ways (docs/schedules.md "Signing"): like Slack's, an HMAC-SHA256 of
 * `v1:<timestamp>:<raw body>` with the trigger's secret, sent as `X-LAP-Signature: v1=<hex>`
 * with `X-LAP-Timestamp: <unix seconds>`. The timestamp is inside the MAC, so a captured request
 * cannot be replayed outside the window with a fresh timestamp.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export const TIMESTAMP_HEADER = "x-lap-timestamp";
export const SIGNATURE_HEADER = "x-lap-signature";
/** How far a request's timestamp may be from LAP's clock, either way. */
export const REPLAY_WINDOW_SECONDS = 300;

export function signatureOf(secret: string, timestamp: string, body: string): string {
  return `v1=${createHmac("sha256", secret).update(`v1:${timestamp}:${body}`).digest("hex")}`;
}

/** Headers for a body LAP sends (outcome callbacks). */
export function signedHeaders(secret: string, body: string, now: Date): Record<string, string> {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: signatureOf(secret, timestamp, body) };
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export function verifySignature(secret: string, headers: Headers, body: string, now: Date): SignatureCheck {
  const timestamp = headers.get(TIMESTAMP_HEADER)?.trim() ?? "";
  const given = headers.get(SIGNATURE_HEADER)?.trim() ?? "";
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: `missing or malformed ${TIMESTAMP_HEADER} (unix seconds)` };
  if (!/^v1=[0-9a-f]{64}$/i.test(given)) return { ok: false, reason: `missing or malformed ${SIGNATURE_HEADER} (v1=<hex HMAC-SHA256>)` };
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > REPLAY_WINDOW_SECONDS) {
    return { ok: false, reason: `stale ${TIMESTAMP_HEADER}: more than ${REPLAY_WINDOW_SECONDS} s from LAP's clock` };
  }
  const expected = Buffer.from(signatureOf(secret, timestamp, body));
  const actual = Buffer.from(given.toLowerCase());
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return { ok: false, reason: "signature does not match" };
  return { ok: true };
}
