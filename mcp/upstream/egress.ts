/**
 * The way out of a stdio MCP server's jail when it has `network: true` (docs/security.md, "Stdio MCP
 * servers"): the jail keeps its own network namespace (only loopback), and LAP serves it an egress
 * proxy (../../sandboxes/egress/proxy.ts) on a Unix socket in a directory only the server's uid may
 * enter. Inside, egress-bridge.ts forwards 127.0.0.1:3128 to that socket and HTTP(S)_PROXY point at
 * it. The proxy resolves and checks every connection: public addresses on ports 80 and 443 only,
 * unless the operator's LAP_ALLOW_PRIVATE_HOSTS names a host (and then any port it allows). Every
 * decision is recorded like a sandbox's, under `mcp:<server name>`.
 */
import { chownSync, realpathSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { noProxyEnv, proxyEnv } from "../../harness/sandbox-env";
import type { Logger } from "../../server/lib/logger";
import type { DestinationGuard } from "../../server/net/destinations";
import type { EgressSink } from "../../server/sandboxes/egress";
import { createEgressProxy, type EgressRecord } from "../../server/sandboxes/egress/proxy";
import { jailRunDir, type Mount } from "../../server/sandboxes/host/bwrap";
import { closeServer, listenUnix } from "../../server/sandboxes/host/lap-sockets";
import type { HostUser } from "../../server/sandboxes/host/sandbox-user";

/** Where things are inside the jail. */
export const STDIO_EGRESS_INSIDE = {
  bun: "/opt/lap/bin/bun",
  bridge: "/opt/lap/egress-bridge.ts",
  runDir: "/run/lap",
  socket: "/run/lap/egress.sock",
  port: 3128,
} as const;

const BRIDGE = fileURLToPath(new URL("./egress-bridge.ts", import.meta.url));

/** What a launcher needs to give stdio servers a proxied network. */
export interface StdioEgressOptions {
  /** The destination check (LAP_ALLOW_PRIVATE_HOSTS); every connection passes it. */
  destinations: DestinationGuard;
  /** Where decisions go besides the log (LAP: the egress records table). */
  sink?: EgressSink;
  logger?: Logger;
  /** The Bun binary run inside (default: this process's). */
  bunPath?: string;
}

export interface StdioEgress {
  /** Bound into the jail (read-only): the Bun binary, the bridge, the socket's directory. */
  mounts: Mount[];
  /** The server's environment additions (proxy variables). */
  env: Record<string, string>;
  /** The command the jail runs: the bridge, which runs `command`. */
  wrap(command: string[]): string[];
  /** Stops the proxy and removes its directory (idempotent). */
  close(): Promise<void>;
}

/** Opens one server's egress proxy; `user` is the jail's host user (null: LAP's own uid). */
export async function openStdioEgress(serverName: string, user: HostUser | null, opts: StdioEgressOptions): Promise<StdioEgress> {
  const dir = jailRunDir(user);
  const socket = join(dir, "egress.sock");
  const id = `mcp:${serverName}`;
  const proxy = createEgressProxy({
    sandboxId: id,
    destinations: opts.destinations,
    policy: () => ({ allowHosts: [], stubs: [], anyHost: true }),
    record: (r: EgressRecord) => {
      opts.sink?.push(r);
      if (r.outcome === "denied")
        opts.logger?.warn({ mcp_server: serverName, host: r.host, method: r.method }, "stdio MCP server egress refused");
      else opts.logger?.info({ mcp_server: serverName, host: r.host, method: r.method }, "stdio MCP server egress");
    },
  });
  try {
    await listenUnix(proxy, socket);
    // The server's uid must be able to connect (write permission on the socket).
    if (user) chownSync(socket, user.uid, user.gid);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  let closed: Promise<void> | undefined;
  const url = `http://127.0.0.1:${STDIO_EGRESS_INSIDE.port}`;
  return {
    mounts: [
      { host: opts.bunPath ?? realpathSync(process.execPath), sandbox: STDIO_EGRESS_INSIDE.bun },
      { host: BRIDGE, sandbox: STDIO_EGRESS_INSIDE.bridge },
      { host: dir, sandbox: STDIO_EGRESS_INSIDE.runDir },
    ],
    env: {
      ...proxyEnv(url),
      ...noProxyEnv(["localhost", "127.0.0.1"]),
      // Node 24 honours HTTP(S)_PROXY in fetch and http only when asked.
      NODE_USE_ENV_PROXY: "1",
    },
    wrap: (command) => [
      STDIO_EGRESS_INSIDE.bun,
      STDIO_EGRESS_INSIDE.bridge,
      String(STDIO_EGRESS_INSIDE.port),
      STDIO_EGRESS_INSIDE.socket,
      "--",
      ...command,
    ],
    close: () => {
      if (!closed) {
        // The socket goes first (no new connection), then the server once its tunnels end.
        rmSync(dir, { recursive: true, force: true });
        closed = closeServer(proxy);
      }
      return closed;
    },
  };
}
