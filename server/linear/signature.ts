/**
 * Linear's webhook signature (docs/linear.md "Webhook verification"): `Linear-Signature` is the
 * hex HMAC-SHA256 of the raw body with the webhook's secret, and the body carries
 * `webhookTimestamp` (unix milliseconds). The timestamp is inside the signed body, so a captured
 * request cannot be re-sent later with a fresh one; within the window, replays are caught by
 * linear_events' unique key.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "linear-signature";
/** How far `webhookTimestamp` may be from LAP's clock, either way (Linear's own guidance). */
export const LINEAR_WINDOW_MS = 60_000;

export const linearSignatureOf = (secret: string, body: string) => createHmac("sha256", secret).update(body).digest("hex");

export type LinearCheck = { ok: true; body: Record<string, unknown> } | { ok: false; reason: string };

export function verifyLinearWebhook(secret: string, headers: Headers, raw: string, now: Date): LinearCheck {
  const given = headers.get(SIGNATURE_HEADER)?.trim().toLowerCase() ?? "";
  if (!/^[0-9a-f]{64}$/.test(given)) return { ok: false, reason: `missing or malformed ${SIGNATURE_HEADER} (hex HMAC-SHA256 of the body)` };
  const expected = Buffer.from(linearSignatureOf(secret, raw), "hex");
  if (!timingSafeEqual(expected, Buffer.from(given, "hex"))) return { ok: false, reason: "signature does not match" };
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return { ok: false, reason: "the body is not JSON" };
  }
  if (!body || typeof body !== "object" || Array.isArray(body)) return { ok: false, reason: "the body is not a JSON object" };
  const ts = (body as { webhookTimestamp?: unknown }).webhookTimestamp;
  if (typeof ts !== "number" || !Number.isFinite(ts)) return { ok: false, reason: "missing webhookTimestamp" };
  if (Math.abs(now.getTime() - ts) > LINEAR_WINDOW_MS)
    return { ok: false, reason: `stale webhookTimestamp: more than ${LINEAR_WINDOW_MS / 1000} s from LAP's clock` };
  return { ok: true, body: body as Record<string, unknown> };
}
