/**
 * The egress proxy Kubernetes sandbox pods use (LAP_SANDBOX=kubernetes): one listener in LAP on
 * K8S_EGRESS_PROXY_PORT for every pod, since a pod cannot share a Unix socket with LAP the way a host
 * sandbox does. Each request or CONNECT carries `Proxy-Authorization: Basic <sandboxId>:<token>` (the
 * token minted when the claim was made, sealed in its annotation, registered here at bind); a known
 * sandbox with the right token gets THAT sandbox's policy through the same proxy code as host
 * sandboxes (../egress/proxy.ts). Credentials of a sandbox this LAP does not know (bound by another
 * replica) are looked up on demand (`lookupUnknown`, bounded by egress-lookups.ts) before the answer.
 * Anything else is answered 407 and recorded nowhere.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type net from "node:net";
import type { Logger } from "../../lib/logger";
import type { DestinationGuard } from "../../net/destinations";
import type { EgressCa } from "../egress/ca";
import { type EgressPolicies, type EgressSink, sandboxEgress } from "../egress";
import { createEgressProxy, type EgressProxyOptions } from "../egress/proxy";
import { EgressLookups, type EgressLookupLimits } from "./egress-lookups";

/** What the kubernetes provider needs from the pods' egress proxy at bind and destroy. */
export interface PodEgressPort {
  /** Lets `sandboxId` use the proxy with `token`, under its policy; idempotent for the same sandbox. */
  register(sandboxId: string, egress: { token: string; policyId?: string; allowHosts: string[] }): void;
  unregister(sandboxId: string): void;
  /** Port the proxy listens on (after `listen`). */
  port(): Promise<number>;
  /** PEM of LAP's egress CA, which the supervisor adds to the pod's CA bundle. */
  caPem(): Promise<string>;
  /** Host pods reach the proxy at; unset: the host of the gateway URL they are given. */
  readonly advertisedHost?: string;
}

const digest = (s: string) => createHash("sha256").update(s).digest();

/** A name a SandboxClaim can have (DNS-1123 subdomain); anything else is never looked up. */
const CLAIM_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** `Basic base64(id:token)` → [id, token]; null when it is not that. */
export function parseProxyBasic(header: string | undefined): [string, string] | null {
  const m = /^Basic\s+([A-Za-z0-9+/=_-]+)$/i.exec(header ?? "");
  if (!m) return null;
  const text = Buffer.from(m[1]!, "base64").toString("utf8");
  const i = text.indexOf(":");
  return i > 0 ? [text.slice(0, i), text.slice(i + 1)] : null;
}

export class PodEgressProxy implements PodEgressPort {
  private sandboxes = new Map<string, { token: Buffer; options: EgressProxyOptions; close(): void; at: number }>();
  private server: net.Server;
  private listening: Promise<number> | null = null;

  constructor(
    private deps: {
      policies: EgressPolicies;
      sink: EgressSink;
      logger: Logger;
      ca: EgressCa;
      upstreamTls?: { ca?: string | string[] };
      /** The destination check every pod's connection passes (../../net/destinations.ts). */
      destinations: DestinationGuard;
      listenPort: number;
      listenHost: string;
      advertisedHost?: string;
      /** Finds a sandbox this LAP does not know (its live claim) and registers it; false when there is none. */
      lookupUnknown?: (sandboxId: string) => Promise<boolean>;
      lookupLimits?: Partial<EgressLookupLimits>;
    },
  ) {
    const lookup = deps.lookupUnknown;
    this.lookups = lookup ? new EgressLookups({ lookup, limits: deps.lookupLimits, logger: deps.logger }) : null;
    this.server = createEgressProxy({ authenticate: (h) => this.authorize(h) });
  }

  private readonly lookups: EgressLookups | null;

  get advertisedHost() {
    return this.deps.advertisedHost;
  }

  authenticate(header: string | undefined): EgressProxyOptions | null {
    const creds = parseProxyBasic(header);
    const entry = creds && this.sandboxes.get(creds[0]);
    // Compared as digests: constant time whatever the candidate's length.
    if (!creds || !entry || !timingSafeEqual(digest(creds[1]), entry.token)) return null;
    return entry.options;
  }

  /**
   * `authenticate`, and on credentials naming a sandbox this LAP does not know, one bounded lookup
   * first. A known sandbox with a wrong token is never looked up: its token does not change.
   */
  async authorize(header: string | undefined): Promise<EgressProxyOptions | null> {
    const known = this.authenticate(header);
    if (known || !this.lookups) return known;
    const creds = parseProxyBasic(header);
    if (!creds || this.sandboxes.has(creds[0]) || !CLAIM_NAME.test(creds[0])) return null;
    await this.lookups.resolve(creds[0]);
    return this.authenticate(header);
  }

  /** Sandboxes registered before `time` (ms since the epoch). */
  registeredBefore(time: number): string[] {
    return [...this.sandboxes].filter(([, e]) => e.at < time).map(([id]) => id);
  }

  /** Whether this LAP serves the sandbox's egress now. */
  knows(sandboxId: string): boolean {
    return this.sandboxes.has(sandboxId);
  }

  register(sandboxId: string, egress: { token: string; policyId?: string; allowHosts: string[] }) {
    if (this.sandboxes.has(sandboxId)) return;
    const s = sandboxEgress(
      { id: sandboxId, policyId: egress.policyId, allowHosts: egress.allowHosts },
      this.deps.policies,
      this.deps.sink,
      this.deps.logger,
      {
        destinations: this.deps.destinations,
        ca: this.deps.ca,
        upstreamTls: this.deps.upstreamTls,
      },
    );
    this.sandboxes.set(sandboxId, { token: digest(egress.token), ...s, at: Date.now() });
  }

  unregister(sandboxId: string) {
    this.sandboxes.get(sandboxId)?.close();
    this.sandboxes.delete(sandboxId);
  }

  listen(): Promise<number> {
    this.listening ??= new Promise<number>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.deps.listenPort, this.deps.listenHost, () => {
        const addr = this.server.address();
        resolve(typeof addr === "object" && addr ? addr.port : this.deps.listenPort);
      });
    });
    return this.listening;
  }

  port() {
    return this.listen();
  }

  async caPem() {
    await this.deps.ca.init();
    return this.deps.ca.caPem;
  }

  async close() {
    for (const id of [...this.sandboxes.keys()]) this.unregister(id);
    if (this.listening) await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.listening = null;
  }
}
