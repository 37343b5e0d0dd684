/**
 * Egress policy of one sandbox: which hosts it may reach (deny by default), and which vault stubs
 * become real values toward which hosts. Host patterns: exact name, `*.suffix`, or an IPv4 address,
 * optionally with `:port`.
 */
import { randomBytes } from "node:crypto";

export interface VaultSecret {
  /** Environment variable name the sandbox sees (holding the stub). */
  name: string;
  value: string;
  /** Hosts this secret may be sent to; the stub is swapped only on requests to these. */
  hosts: string[];
}

export interface StubRule {
  stub: string;
  name: string;
  real: string;
  hosts: string[];
}

export interface EgressPolicy {
  allowHosts: string[];
  stubs: StubRule[];
  /**
   * Any host name passes the allow-list (a stdio MCP server with `network: true`, which had the whole
   * network before it had a proxy); the address and port checks still apply to every connection.
   */
  anyHost?: boolean;
}

/** `api.example.com:8443` → host and port; no port → undefined. */
export function splitPattern(pattern: string): { host: string; port?: number } {
  const p = pattern.toLowerCase().trim();
  const m = /^(.*):(\d{1,5})$/.exec(p);
  return m ? { host: m[1]!, port: Number(m[2]) } : { host: p };
}

/**
 * Whether `host` (and `port`, when given) is what `pattern` names. A pattern without a port matches
 * the host on any port here; which ports a connection may use is the proxy's check (80 and 443, or
 * the port a pattern names, see `portNamed`).
 */
export function hostMatches(host: string, pattern: string, port?: number): boolean {
  const h = host.toLowerCase().replace(/\.$/, "");
  const p = splitPattern(pattern);
  if (port !== undefined && p.port !== undefined && p.port !== port) return false;
  if (p.host.startsWith("*.")) return h.endsWith(p.host.slice(1)) && h.length > p.host.length - 1;
  return h === p.host;
}

export const hostAllowed = (policy: EgressPolicy, host: string, port?: number) =>
  Boolean(policy.anyHost) || policy.allowHosts.some((p) => hostMatches(host, p, port));

/** The ports every allowed host may use; others only when a pattern names them (or the operator allows). */
export const STANDARD_PORTS = new Set([80, 443]);

/** Whether an allow-list pattern for `host` names exactly this port. */
export const portNamed = (policy: EgressPolicy, host: string, port: number) =>
  policy.allowHosts.some((p) => splitPattern(p).port === port && hostMatches(host, p, port));

/** Per-sandbox random stubs; the env gets the stub, LAP keeps the real value. */
export function mintStubs(secrets: VaultSecret[]): { env: Record<string, string>; rules: StubRule[] } {
  const env: Record<string, string> = {};
  const rules: StubRule[] = [];
  for (const s of secrets) {
    const stub = `stub_${s.name.toLowerCase().replace(/[^a-z0-9]+/g, "_")}_${randomBytes(6).toString("hex")}`;
    env[s.name] = stub;
    rules.push({ stub, name: s.name, real: s.value, hosts: s.hosts });
  }
  return { env, rules };
}

/**
 * Sandboxes' policies by id, read by the egress proxy of each sandbox. A spec registers its policy
 * when it is built; the proxy `attach`es it when its sandbox starts and it is dropped when the proxy
 * closes. Specs built only to compare hashes (warm pool, claims) never attach: swept after a while.
 */
export class EgressPolicies {
  private byId = new Map<string, { policy: EgressPolicy; attached: boolean; at: number }>();
  constructor(private unattachedTtlMs = 15 * 60_000) {}
  set(id: string, policy: EgressPolicy) {
    const now = Date.now();
    for (const [k, e] of this.byId) if (!e.attached && now - e.at > this.unattachedTtlMs) this.byId.delete(k);
    this.byId.set(id, { policy, attached: false, at: now });
  }
  get(id: string): EgressPolicy {
    return this.byId.get(id)?.policy ?? { allowHosts: [], stubs: [] };
  }
  /** The sandbox that carries this policy's stubs started: keep it until `delete`. */
  attach(id: string): EgressPolicy {
    const e = this.byId.get(id);
    if (e) e.attached = true;
    return e?.policy ?? { allowHosts: [], stubs: [] };
  }
  delete(id: string) {
    this.byId.delete(id);
  }
  get size() {
    return this.byId.size;
  }
}
