import { z } from "zod";

/**
 * A host an agent's sandbox may reach, or a vault secret may be sent to: an exact name
 * (`api.github.com`), a wildcard for subdomains (`*.example.com`), or an IPv4 address, optionally
 * with `:port` (without one, only ports 80 and 443). Loopback, private and other non-public
 * addresses are refused by the services unless LAP_ALLOW_PRIVATE_HOSTS names them (docs/security.md).
 */
export const hostPattern = z
  .string()
  .trim()
  .toLowerCase()
  .max(259, "at most 259 characters")
  .regex(
    /^(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:\d{1,5})?$/,
    "must be a host name like api.github.com or *.example.com, optionally with :port (no scheme or path)",
  )
  .refine((p) => !/:\d+$/.test(p) || (Number(p.split(":")[1]) >= 1 && Number(p.split(":")[1]) <= 65535), "the port must be 1-65535");

export const hostPatterns = z.array(hostPattern).max(100, "at most 100 hosts");
