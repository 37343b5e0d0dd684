/**
 * The one check every user-supplied destination passes (docs/security.md, "User-supplied URLs and
 * hosts"): the host is resolved, EVERY address it resolves to must be public unless the operator's
 * allow-list (LAP_ALLOW_PRIVATE_HOSTS) names it, and the caller then connects to the checked address
 * it got back, never to the name again, so a second DNS answer (rebinding) cannot change where the
 * connection goes. Callers check again on every new connection.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import { canonicalIp, type IpAddress, isLocalName, nonPublicRange, parseIp } from "./addresses";
import { type AllowEntry, AllowList } from "./allow-list";

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to all its addresses. Default: the system resolver (getaddrinfo, /etc/hosts included). */
export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (host) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

/** Why a destination was refused; `message` names the host and the reason, never a response body. */
export class DestinationRefused extends Error {
  constructor(
    readonly host: string,
    readonly reason: "non_public" | "unresolvable",
    message: string,
  ) {
    super(message);
  }
}

/** A destination that passed: connect to `address` (the checked one), send `host` as Host/SNI. */
export interface CheckedDestination {
  host: string;
  port: number;
  address: string;
  family: 4 | 6;
  /** The operator's entry that allowed a non-public address or an unusual port, if one did. */
  allowedBy?: AllowEntry;
}

export interface DestinationGuardOptions {
  allow?: AllowList;
  resolve?: Resolver;
  /** Longest a resolution may take before the destination counts as unresolvable. */
  resolveTimeoutMs?: number;
}

const LOOPBACK_V4 = parseIp("127.0.0.1")!;
const LOOPBACK_V6 = parseIp("::1")!;
const LOCAL_ADDRESSES: ResolvedAddress[] = [
  { address: "127.0.0.1", family: 4 },
  { address: "::1", family: 6 },
];

export class DestinationGuard {
  readonly allow: AllowList;
  private readonly resolver: Resolver;
  private readonly timeoutMs: number;

  constructor(opts: DestinationGuardOptions = {}) {
    this.allow = opts.allow ?? new AllowList();
    this.resolver = opts.resolve ?? systemResolver;
    this.timeoutMs = opts.resolveTimeoutMs ?? 10_000;
  }

  /** From LAP_ALLOW_PRIVATE_HOSTS (validated by server/config/schema.ts). */
  static fromEnv(env: { LAP_ALLOW_PRIVATE_HOSTS?: string }, resolve?: Resolver) {
    return new DestinationGuard({ allow: AllowList.parse(env.LAP_ALLOW_PRIVATE_HOSTS), resolve });
  }

  /**
   * What is wrong with a host as written (in a URL or an allow-list pattern), before any DNS: an IP
   * literal in a non-public range or a local name (`localhost`) that the operator did not allow.
   * Null when nothing is visibly wrong (the resolved addresses are checked at connection time).
   */
  literalProblem(host: string, port?: number): string | null {
    const h = host
      .toLowerCase()
      .replace(/^\[(.*)\]$/, "$1")
      .replace(/\.$/, "");
    const ip = parseIp(h);
    const allowed = (address?: IpAddress) => Boolean(this.allow.match({ host: h, port, address }));
    if (ip) {
      const range = nonPublicRange(ip);
      if (range && !allowed(ip))
        return `${host} is a non-public address (${describeRange(range)}); LAP reaches only public addresses unless LAP_ALLOW_PRIVATE_HOSTS names it`;
      return null;
    }
    if (isLocalName(h) && !allowed() && !allowed(LOOPBACK_V4) && !allowed(LOOPBACK_V6))
      return `${host} names this machine; LAP reaches only public addresses unless LAP_ALLOW_PRIVATE_HOSTS names it`;
    return null;
  }

  /**
   * Resolves `host` and checks every address. Returns the address to connect to; throws
   * DestinationRefused when any address is non-public and not allowed, or the name does not resolve.
   */
  async check(host: string, port: number): Promise<CheckedDestination> {
    const h = host
      .toLowerCase()
      .replace(/^\[(.*)\]$/, "$1")
      .replace(/\.$/, "");
    const literal = parseIp(h);
    let addresses: ResolvedAddress[];
    if (literal) {
      addresses = [{ address: canonicalIp(literal), family: literal.kind() === "ipv6" ? 6 : 4 }];
    } else {
      try {
        // Names for this machine are the system's (/etc/hosts), whatever resolver checks the rest.
        addresses = await this.withTimeout(isLocalName(h) ? systemResolver(h).catch(() => LOCAL_ADDRESSES) : this.resolver(h));
      } catch (err) {
        throw new DestinationRefused(
          host,
          "unresolvable",
          `${host} does not resolve (${(err as { code?: string }).code ?? (err as Error).message})`,
        );
      }
      if (!addresses.length) throw new DestinationRefused(host, "unresolvable", `${host} does not resolve`);
    }
    let allowedBy: AllowEntry | undefined;
    for (const a of addresses) {
      const ip = parseIp(a.address);
      if (!ip) throw new DestinationRefused(host, "unresolvable", `${host} resolved to something that is not an address`);
      const range = nonPublicRange(ip);
      if (!range) continue;
      const entry = this.allow.match({ host: h, port, address: ip });
      if (!entry)
        throw new DestinationRefused(
          host,
          "non_public",
          `${host} resolves to a non-public address (${canonicalIp(ip)}: ${describeRange(range)}); LAP reaches only public addresses unless LAP_ALLOW_PRIVATE_HOSTS names it`,
        );
      allowedBy = entry;
    }
    const first = parseIp(addresses[0]!.address)!;
    return {
      host: h,
      port,
      address: canonicalIp(first),
      family: parseIp(canonicalIp(first))!.kind() === "ipv6" ? 6 : 4,
      allowedBy: allowedBy ?? this.allow.match({ host: h, port, address: first }),
    };
  }

  /** The operator's entry for this destination (any address), e.g. to allow a port other than 80/443. */
  entryFor(host: string, port: number, address?: string): AllowEntry | undefined {
    return this.allow.match({ host, port, address: address ? (parseIp(address) ?? undefined) : undefined });
  }

  private withTimeout<T>(p: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    return Promise.race([
      p,
      new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(Object.assign(new Error("timed out"), { code: "ETIMEOUT" })), this.timeoutMs)),
      ),
    ]).finally(() => clearTimeout(timer));
  }
}

function describeRange(range: string): string {
  const names: Record<string, string> = {
    loopback: "loopback",
    private: "private (RFC 1918)",
    linkLocal: "link-local (includes cloud metadata)",
    uniqueLocal: "unique-local (fc00::/7)",
    carrierGradeNat: "carrier-grade NAT (100.64.0.0/10)",
    unspecified: "unspecified (0.0.0.0/8, ::)",
    multicast: "multicast",
    broadcast: "broadcast",
    reserved: "reserved or documentation",
    rfc6052: "NAT64 (64:ff9b::/96)",
    rfc6145: "IPv4-translated",
    "6to4": "6to4",
    teredo: "Teredo",
  };
  return names[range] ?? `non-public (${range})`;
}
