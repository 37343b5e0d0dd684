import { createHmac } from "node:crypto";
import type { Principal } from "../../auth/model";
import { safeEqual } from "../../lib/crypto";

const TTL_MS = 5 * 60 * 1000;
const STREAM_PATH = /^\/api\/sessions\/([^/]+)\/stream$/;

/**
 * Short-lived, single-session tokens for `?token=` on the stream routes, so a browser client that
 * cannot send headers (EventSource, WebSocket) never puts the master key or an API key in a URL.
 * HMAC over `session.expiry`, keyed from the master key; valid only on that session's stream.
 */
export class StreamTokens {
  private readonly secret: Buffer;

  constructor(
    masterKey: string,
    private readonly now: () => number = Date.now,
  ) {
    this.secret = createHmac("sha256", "lap-stream-token").update(masterKey).digest();
  }

  issue(sessionId: string): { token: string; expires_at: string } {
    const exp = this.now() + TTL_MS;
    const payload = `${Buffer.from(sessionId).toString("base64url")}.${exp}`;
    return { token: `st.${payload}.${this.sign(payload)}`, expires_at: new Date(exp).toISOString() };
  }

  verify(token: string, sessionId: string): boolean {
    const [prefix, sid, exp, sig] = token.split(".");
    if (prefix !== "st" || !sid || !exp || !sig) return false;
    if (!safeEqual(sig, this.sign(`${sid}.${exp}`))) return false;
    if (Number(exp) < this.now()) return false;
    return Buffer.from(sid, "base64url").toString() === sessionId;
  }

  /** Extra authenticator for the auth guard: accepts `?token=` only on the stream route of its session. */
  authenticate = async (request: Request): Promise<Principal | null> => {
    const url = new URL(request.url);
    const token = url.searchParams.get("token");
    if (!token) return null;
    const match = STREAM_PATH.exec(url.pathname);
    const sessionId = match ? decodeURIComponent(match[1]!) : "";
    if (!match || !this.verify(token, sessionId)) return null;
    return { via: "stream_token", role: "user", kind: "stream", label: "stream token", sessionId };
  };

  private sign(payload: string) {
    return createHmac("sha256", this.secret).update(payload).digest("base64url");
  }
}
