/**
 * What an earlier LAP on this data dir left in the run root (docs/sandboxes.md "Lifetime of host
 * sandboxes"): sandboxes of a live LAP are left alone; with a grace period, one whose process still
 * runs and whose adoption record reads is returned for adoption; the rest belongs to nobody and is
 * killed, its files removed. And, for an adopted one, LAP's sockets in its run dir served again.
 */
import { chownSync, existsSync, lstatSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../../lib/logger";
import { adoptionRecordPath, type AdoptionRecord, readAdoptionRecord } from "./adoption";
import type { HostProviderOptions } from "./options";
import { listenLapBridge } from "./lap-bridge";
import { closeServer, listenUnix } from "./lap-sockets";
import { isAlive, killSandbox, processesNaming } from "./processes";

/** Kills whatever names a sandbox's run dir (and `pid`, its launched process) and removes its files. */
export function reapSandbox(runRoot: string, id: string, logger: Logger, pid?: number) {
  const runDir = join(runRoot, id);
  const pids = killSandbox(runDir, pid);
  if (pids.length) logger.warn({ sandbox_id: id, pids }, "killed a sandbox left running by a LAP that is gone");
  for (const p of [runDir, `${runDir}.owner`, adoptionRecordPath(runDir)]) rmSync(p, { recursive: true, force: true });
}

/**
 * The owner file (`<id>.owner`: pid and start time, outside the run dir the sandbox can write) names
 * a live LAP: leave it. Otherwise adopt (grace > 0, a record naming a process that still runs) or reap.
 */
export function scanLeftovers(runRoot: string, graceSeconds: number, logger: Logger): AdoptionRecord[] {
  const ownedByLiveLap = (id: string) => {
    let owner: string;
    try {
      owner = readFileSync(join(runRoot, `${id}.owner`), "utf8").trim();
    } catch {
      return false;
    }
    // Includes this process: a second provider on the same data dir must not kill the first's sandboxes.
    return isAlive(owner);
  };
  const prefix = join(runRoot, "sbx_");
  const ids = new Set(processesNaming(prefix).map(({ hit }) => `sbx_${hit.slice(prefix.length).split("/")[0]}`));
  for (const name of readdirSync(runRoot)) if (name.startsWith("sbx_")) ids.add(name.split(".")[0]!);
  const adoptable: AdoptionRecord[] = [];
  for (const id of ids) {
    if (ownedByLiveLap(id)) continue;
    const runDir = join(runRoot, id);
    const record = graceSeconds > 0 ? readAdoptionRecord(runDir) : null;
    if (record && record.id === id && isAlive(record.identity) && existsSync(runDir)) adoptable.push(record);
    else reapSandbox(runRoot, id, logger);
  }
  return adoptable;
}

/**
 * Serves an adopted sandbox's `lap.sock` (the LAP bridge) and `egress.sock` (its egress proxy, with
 * the recorded spec's allow-list) again, owned by its host user. The sandbox's user owns the run dir,
 * so LAP serves only where those paths are sockets or absent; anything else throws.
 */
export async function serveAgain(
  runDir: string,
  record: AdoptionRecord,
  opts: Pick<HostProviderOptions, "lapUpstream" | "logger" | "egress">,
): Promise<Array<{ close(): Promise<void> }>> {
  for (const name of ["lap.sock", "egress.sock"]) {
    const st = lstatSync(join(runDir, name), { throwIfNoEntry: false });
    if (st && !st.isSocket()) throw new Error(`${name} is not a socket`);
  }
  const servers: Array<{ close(): Promise<void> }> = [];
  try {
    // The sandbox is running and retrying its model call: each socket is handed to its user as soon as it
    // exists, or a retry in between meets a root-owned socket (EACCES) and fails the turn.
    const own = (name: string) => {
      if (record.user && existsSync(join(runDir, name))) chownSync(join(runDir, name), record.user.uid, record.user.gid);
    };
    servers.push(listenLapBridge(join(runDir, "lap.sock"), opts.lapUpstream, opts.logger, record.id));
    own("lap.sock");
    const egress = opts.egress?.({ id: record.id, spec: record.spec });
    if (egress) {
      const server = await listenUnix(egress, join(runDir, "egress.sock"));
      own("egress.sock");
      servers.push({ close: () => closeServer(server) });
    }
    return servers;
  } catch (err) {
    await Promise.all(servers.map((s) => s.close().catch(() => {})));
    throw err;
  }
}
