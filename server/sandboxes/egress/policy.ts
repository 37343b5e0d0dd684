/**
 * Egress policy of one sandbox: which hosts it may reach (deny by default), and which vault stubs
 * become real values toward which hosts. Host patterns: exact name, `*.suffix`, or an IPv4 address.
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
}

export function hostMatches(host: string, pattern: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, "");
  const p = pattern.toLowerCase().trim();
  if (p.startsWith("*.")) return h.endsWith(p.slice(1)) && h.length > p.length - 1;
  return h === p;
}

export const hostAllowed = (policy: EgressPolicy, host: string) => policy.allowHosts.some((p) => hostMatches(host, p));

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

/** Sandboxes' policies by id, read by the egress proxy of each sandbox. */
export class EgressPolicies {
  private byId = new Map<string, EgressPolicy>();
  set(id: string, policy: EgressPolicy) {
    this.byId.set(id, policy);
  }
  get(id: string): EgressPolicy {
    return this.byId.get(id) ?? { allowHosts: [], stubs: [] };
  }
  delete(id: string) {
    this.byId.delete(id);
  }
}
