/**
 * The operator's allow for tests whose fakes (the scripted LLM, fake MCP and web APIs) stand for
 * internet hosts but listen on loopback. LAP refuses loopback destinations a user names unless
 * LAP_ALLOW_PRIVATE_HOSTS lists them (docs/security.md), so these tests say so explicitly, the
 * way an operator would; tests of the refusal itself use no allow at all.
 */
import { DestinationGuard, type Resolver } from "../../server/net/destinations";

/** LAP_ALLOW_PRIVATE_HOSTS for loopback fakes on any port. */
export const LOOPBACK_FAKES_ALLOWED = "localhost,127.0.0.0/8,[::1]";

/** The destination check with loopback fakes allowed (and optionally a stub resolver). */
export const loopbackFakesAllowed = (resolve?: Resolver) =>
  DestinationGuard.fromEnv({ LAP_ALLOW_PRIVATE_HOSTS: LOOPBACK_FAKES_ALLOWED }, resolve);
