/**
 * Which sandbox a request came from when it arrived through its LAP bridge (docs/security.md,
 * "Backoff on guessing"). Every local sandbox reaches LAP over loopback through a bridge in LAP's own
 * process (server/sandboxes/host/lap-bridge.ts), so the peer address says nothing. The bridge sets
 * `x-lap-bridge: <sandbox id>.<tag>` on what it forwards, after dropping whatever the sandbox sent in
 * that header; the tag is an HMAC of the id under a key made at start-up that never leaves this process,
 * so no sandbox (nor a pod, nor anything else that reaches LAP's port) can make one for another
 * sandbox. The auth guard believes the header only from a loopback peer, and counts failed keys per
 * sandbox: one guessing sandbox is slowed without slowing the others or the operator's local CLI.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { isLoopback } from "../auth/backoff";

export const BRIDGE_CLIENT_HEADER = "x-lap-bridge";

const KEY = randomBytes(32);
const SANDBOX_ID = /^[A-Za-z0-9_-]{1,64}$/;

const mac = (id: string) => createHmac("sha256", KEY).update(id).digest("base64url");

/** The header value the bridge of sandbox `id` sends. */
export function bridgeClientTag(id: string): string {
  if (!SANDBOX_ID.test(id)) throw new Error(`bridgeClientTag: bad sandbox id ${JSON.stringify(id)}`);
  return `${id}.${mac(id)}`;
}

/** The sandbox a request came from, when its bridge header is genuine and its peer is loopback; else undefined. */
export function bridgeClientOf(request: Request, peer: string | undefined): string | undefined {
  const value = request.headers.get(BRIDGE_CLIENT_HEADER);
  if (!value || !peer || !isLoopback(peer)) return undefined;
  const dot = value.lastIndexOf(".");
  const id = value.slice(0, dot);
  if (dot <= 0 || !SANDBOX_ID.test(id)) return undefined;
  const given = Buffer.from(value.slice(dot + 1));
  const expected = Buffer.from(mac(id));
  return given.length === expected.length && timingSafeEqual(given, expected) ? id : undefined;
}
