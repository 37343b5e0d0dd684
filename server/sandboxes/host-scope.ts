/**
 * Which `sandboxes` rows a LAP process may claim, count, recycle and recover. With a host provider (local,
 * process) only its own machine's: another machine's sandbox is a process there, out of reach from here. A
 * null host on a host-provider row is a row older than the column: unknown, never touched (drizzle/0004).
 * With a cluster provider (kubernetes: no host) every row, as sandboxes there are reachable from any replica.
 */
import type { SandboxProvider } from "./provider";

/** The value for the host column and for `hostScope`'s parameter. */
export const hostOf = (provider: Pick<SandboxProvider, "host">): string | null => provider.host ?? null;

/** SQL condition on `sandboxes` rows; `$param` is bound to `hostOf(provider)`. */
export const hostScope = (param: number, column = "host") => `($${param}::text is null or ${column} = $${param})`;
