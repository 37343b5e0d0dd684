/**
 * LAP's webhook signature written out independently of server/triggers/signature.ts, as a sender
 * would implement it from docs/schedules.md: `X-LAP-Signature: v1=<hex HMAC-SHA256(secret,
 * "v1:<timestamp>:<body>")>` with `X-LAP-Timestamp: <unix seconds>`. Used by the tests both to
 * sign webhooks and to check LAP's outcome callbacks.
 */
import { createHmac } from "node:crypto";

export function webhookHeaders(secret: string, body: string, at: Date, extra: Record<string, string> = {}): Record<string, string> {
  const ts = String(Math.floor(at.getTime() / 1000));
  const mac = createHmac("sha256", secret).update(`v1:${ts}:${body}`).digest("hex");
  return { "content-type": "application/json", "x-lap-timestamp": ts, "x-lap-signature": `v1=${mac}`, ...extra };
}

/** Whether a request LAP sent carries a valid signature for `secret`. */
export function hasValidSignature(secret: string, headers: Headers, body: string): boolean {
  const ts = headers.get("x-lap-timestamp") ?? "";
  const mac = createHmac("sha256", secret).update(`v1:${ts}:${body}`).digest("hex");
  return headers.get("x-lap-signature") === `v1=${mac}`;
}
