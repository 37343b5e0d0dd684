/**
 * Which IP addresses count as public (docs/security.md, "User-supplied URLs and hosts"). Ranges come
 * from ipaddr.js (loopback, RFC 1918, CGNAT, link-local incl. 169.254.169.254, unique-local,
 * multicast, reserved and documentation ranges, NAT64, 6to4, Teredo ...); only plain global unicast
 * is public. IPv4 embedded in IPv6 (mapped or compatible) is judged as the IPv4 it carries.
 */
import ipaddr from "ipaddr.js";

export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

/** An IP written any way a resolver or URL parser accepts (`127.1`, `0x7f000001`, `[::1]`, `fe80::1%eth0`); null otherwise. */
export function parseIp(text: string): IpAddress | null {
  const t = text.trim().replace(/^\[(.*)\]$/, "$1");
  if (!t || t.length > 100) return null;
  try {
    return ipaddr.parse(t);
  } catch {
    return null;
  }
}

/** The IPv4 inside `::ffff:a.b.c.d` or `::a.b.c.d`, else the address itself. */
function unwrap(ip: IpAddress): IpAddress {
  if (ip.kind() !== "ipv6") return ip;
  const v6 = ip as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address();
  const p = v6.parts;
  // IPv4-compatible (deprecated ::a.b.c.d), but not :: or ::1 which are their own ranges.
  if (p.slice(0, 6).every((x) => x === 0) && (p[6] !== 0 || p[7]! > 1))
    return ipaddr.IPv4.parse(`${p[6]! >> 8}.${p[6]! & 255}.${p[7]! >> 8}.${p[7]! & 255}`);
  return ip;
}

const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR("2000::/3");

/**
 * The name of the non-public range `address` is in (`loopback`, `private`, `linkLocal`,
 * `uniqueLocal`, `carrierGradeNat`, `unspecified`, `reserved`, `rfc6052` (NAT64) ...), or null when
 * it is public. Something that is not an IP at all is reported as `invalid`.
 */
export function nonPublicRange(address: string | IpAddress): string | null {
  const parsed = typeof address === "string" ? parseIp(address) : address;
  if (!parsed) return "invalid";
  const ip = unwrap(parsed);
  const range = ip.range();
  if (range !== "unicast") return range;
  // Outside 2000::/3 nothing is allocated for the public internet.
  if (ip.kind() === "ipv6" && !(ip as ipaddr.IPv6).match(GLOBAL_UNICAST_V6 as [ipaddr.IPv6, number])) return "reserved";
  return null;
}

/** Canonical text of an address (IPv4-mapped IPv6 as its IPv4), for logs, pins and comparisons. */
export function canonicalIp(ip: IpAddress): string {
  return unwrap(ip).toString();
}

/** Names that mean this machine without asking DNS (RFC 6761), checked before any resolution. */
export function isLocalName(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, "");
  return h === "localhost" || h.endsWith(".localhost") || h === "localhost.localdomain" || h === "ip6-localhost" || h === "ip6-loopback";
}
