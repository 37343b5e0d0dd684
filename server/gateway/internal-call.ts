import { randomUUID } from "node:crypto";
import type { Principal } from "../auth/model";
import { ApiError } from "../lib/errors";
import type { GatewayService } from "./service";
import type { Json } from "./types";

/** Who a call LAP makes itself is for: its spend row names the session and agent, the team and user pay. */
export interface OnBehalfOf {
  sessionId: string;
  agentId: string | null;
  teamId: string;
  userId: string | null;
  /** The spend row's `key_alias` (there is no key): e.g. `lap:title`. */
  keyAlias: string;
}

/**
 * A chat completion LAP makes for a session through its own gateway (docs/sessions.md "Titles"): routed,
 * priced and logged like any call, held to the session team's and creator's budgets and model limits
 * (docs/gateway.md "Teams and users"), with no key minted. Throws the gateway's error when refused.
 */
export async function chatOnBehalfOf(gateway: GatewayService, body: Json, on: OnBehalfOf, timeoutMs = 30_000): Promise<Json> {
  const waiting = gateway.ready();
  if (waiting) await waiting;
  const principal: Principal = {
    via: "master_key",
    role: "admin",
    kind: "admin",
    label: on.keyAlias,
    activeTeam: on.teamId,
    ...(on.userId ? { userId: on.userId } : {}),
  };
  const text = JSON.stringify({ ...body, stream: false });
  const request = new Request("http://lap.internal/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) },
    body: text,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const res = await gateway.proxy.handle(
    "chat",
    { ...body, stream: false },
    {
      principal,
      request,
      requestId: randomUUID(),
      onBehalfOf: { sessionId: on.sessionId, agentId: on.agentId, keyAlias: on.keyAlias },
    },
  );
  if (!res.ok) throw new ApiError(res.status, "upstream_error", (await res.text()).slice(0, 500));
  return (await res.json()) as Json;
}
