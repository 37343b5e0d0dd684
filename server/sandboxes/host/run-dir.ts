/**
 * The run directory of a new host sandbox (./host-provider.ts): the supervisor's one-time token, LAP's
 * owner file beside it, and LAP's sockets in it (the LAP bridge, the egress proxy with the CA bundle),
 * all but the owner file given to the sandbox's user.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, copyFileSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import type net from "node:net";
import { join } from "node:path";
import type { SandboxSpec } from "../provider";
import type { Entry } from "./entry";
import { listenLapBridge } from "./lap-bridge";
import { closeServer, listenLoopback, listenUnix } from "./lap-sockets";
import type { HostProviderOptions } from "./options";
import { processIdentity } from "./processes";
import type { HostUser } from "./sandbox-user";

export interface OpenRunDir {
  id: string;
  spec: SandboxSpec;
  runDir: string;
  user: HostUser | null;
  /** The process provider's sandbox shares LAP's network: its egress proxy listens on loopback, not a socket. */
  egressOnLoopback: boolean;
}

export async function openRunDir(
  opts: HostProviderOptions,
  { id, spec, runDir, user, egressOnLoopback }: OpenRunDir,
): Promise<{ token: string; servers: Entry["servers"]; egressPort: number | null }> {
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  const token = randomBytes(24).toString("base64url");
  writeFileSync(join(runDir, "token"), token, { mode: 0o600 });
  writeFileSync(`${runDir}.owner`, processIdentity(), { mode: 0o600 });
  chmodSync(runDir, 0o700);

  const servers: Entry["servers"] = [];
  const closing = (server: net.Server) => ({ close: () => closeServer(server) });
  servers.push(listenLapBridge(join(runDir, "lap.sock"), opts.lapUpstream, opts.logger, id));
  let egressPort: number | null = null;
  const egress = opts.egress?.({ id, spec });
  if (egress && opts.egressCa) {
    await opts.egressCa.init();
    copyFileSync(opts.egressCa.bundlePath, join(runDir, "ca-bundle.pem"));
  }
  if (egress) {
    if (egressOnLoopback) {
      const l = await listenLoopback(egress);
      egressPort = l.port;
      servers.push(closing(l.server));
    } else servers.push(closing(await listenUnix(egress, join(runDir, "egress.sock"))));
  }

  // The sandbox's user owns its run dir (token, sockets, CA bundle); LAP's owner file stays outside.
  if (user) for (const p of [runDir, ...readdirSync(runDir).map((n) => join(runDir, n))]) chownSync(p, user.uid, user.gid);
  return { token, servers, egressPort };
}
