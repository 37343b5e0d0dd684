/**
 * The operator's exceptions to "public addresses only" (LAP_ALLOW_PRIVATE_HOSTS, see
 * docs/security.md): destinations a user may name although they resolve to loopback, private,
 * link-local or other non-public addresses. Entries, comma- or space-separated:
 * - a host name `git.internal` or wildcard `*.corp.example` (matches the name the user gave, whatever it resolves to);
 * - an address `10.1.2.3`, `[fd00::1]`, or a range `10.0.0.0/8`, `fd00::/8` (matches the resolved address);
 * - a name or address may end with `:port`: then only that port is allowed (any port otherwise).
 * An entry also lets the egress proxy use ports other than 80 and 443 toward what it matches.
 */
import ipaddr from "ipaddr.js";
import { canonicalIp, type IpAddress, parseIp } from "./addresses";

export type AllowEntry =
  | { kind: "name"; name: string; port?: number; text: string }
  | { kind: "suffix"; suffix: string; port?: number; text: string }
  | { kind: "range"; range: [IpAddress, number]; port?: number; text: string };

const NAME = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

function port(text: string | undefined, entry: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d{1,5}$/.test(text) || n < 1 || n > 65535) throw new Error(`${entry}: the port must be 1-65535`);
  return n;
}

/** One entry; throws a message naming it when it is none of the forms above. */
export function parseAllowEntry(raw: string): AllowEntry {
  const text = raw.trim().toLowerCase();
  if (text.includes("/")) {
    try {
      const [ip, bits] = ipaddr.parseCIDR(text.replace(/^\[(.*)\](\/\d+)$/, "$1$2"));
      return { kind: "range", range: [ip, bits], text };
    } catch {
      throw new Error(`${raw}: not an address range such as 10.0.0.0/8 or fd00::/8`);
    }
  }
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) {
    const ip = parseIp(bracketed[1]!);
    if (!ip) throw new Error(`${raw}: not an IPv6 address`);
    return { kind: "range", range: [ip, ip.kind() === "ipv6" ? 128 : 32], port: port(bracketed[2], raw), text };
  }
  const bare = parseIp(text);
  if (bare && text.includes(":")) return { kind: "range", range: [bare, 128], text };
  const m = /^(.*?)(?::(\d*))?$/.exec(text)!;
  const host = m[1]!.replace(/\.$/, "");
  const p = port(m[2], raw);
  const ip = parseIp(host);
  if (ip && /^[0-9.x]+$/.test(host)) return { kind: "range", range: [ip, 32], port: p, text };
  if (host.startsWith("*.") && NAME.test(host.slice(2))) return { kind: "suffix", suffix: host.slice(1), port: p, text };
  if (NAME.test(host)) return { kind: "name", name: host, port: p, text };
  throw new Error(`${raw}: not a host name, *.domain, address or address range (optionally with :port)`);
}

export function parseAllowList(text: string | undefined): AllowEntry[] {
  return (text ?? "")
    .split(/[\s,]+/)
    .filter(Boolean)
    .map(parseAllowEntry);
}

/** A destination as LAP is about to reach it: the name the user gave, the port, and (once resolved) the address. */
export interface Destination {
  host: string;
  /** Unset: any port (an entry with a port still matches). */
  port?: number;
  address?: IpAddress;
}

function entryMatches(e: AllowEntry, d: Destination): boolean {
  if (e.port !== undefined && d.port !== undefined && e.port !== d.port) return false;
  const host = d.host
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1")
    .replace(/\.$/, "");
  if (e.kind === "name") return host === e.name;
  if (e.kind === "suffix") return host.endsWith(e.suffix) && host.length > e.suffix.length;
  const ip = d.address ?? parseIp(host);
  if (!ip) return false;
  const a = parseIp(canonicalIp(ip))!;
  const [net, bits] = e.range;
  if (net.kind() === "ipv4") return a.kind() === "ipv4" && (a as ipaddr.IPv4).match(net as ipaddr.IPv4, bits);
  const v6 = a.kind() === "ipv6" ? (a as ipaddr.IPv6) : (a as ipaddr.IPv4).toIPv4MappedAddress();
  return v6.match(net as ipaddr.IPv6, bits);
}

export class AllowList {
  constructor(readonly entries: AllowEntry[] = []) {}

  static parse(text: string | undefined) {
    return new AllowList(parseAllowList(text));
  }

  /** The entry that lets this destination be non-public (and use its port), if any. */
  match(d: Destination): AllowEntry | undefined {
    return this.entries.find((e) => entryMatches(e, d));
  }
}
