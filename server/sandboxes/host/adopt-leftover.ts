/**
 * Takes over a sandbox an earlier LAP left running (./host-provider.ts at start-up, from the records
 * ./leftovers.ts found): LAP's sockets in its run dir served again (the LAP bridge, the egress proxy
 * with the spec's allow-list), its cgroup handle, the supervisor asked for its health with the recorded
 * token, the owner file rewritten to this process. Any failure: the sandbox is reaped instead. Its exit
 * is watched through /proc from now on.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SandboxProviderName } from "../provider";
import { type AdoptionRecord, watchProcess } from "./adoption";
import { type Entry, entryFromAdoption, supervisorFetch } from "./entry";
import { reapSandbox, serveAgain } from "./leftovers";
import { createCgroup } from "./limits";
import type { HostProviderOptions } from "./options";
import { processIdentity } from "./processes";

export interface AdoptionContext {
  runRoot: string;
  provider: SandboxProviderName;
  opts: HostProviderOptions;
  /** The provider's entries: the adopted sandbox's goes in, or out again when adoption fails. */
  entries: Map<string, Entry>;
  /** The adopted sandbox's process ended (`how`: why its exit status is unknown). */
  onExit: (entry: Entry, how: string) => void;
}

export async function adoptLeftover(record: AdoptionRecord, { runRoot, provider, opts, entries, onExit }: AdoptionContext) {
  const { id } = record;
  const runDir = join(runRoot, id);
  const servers: Entry["servers"] = [];
  try {
    servers.push(...(await serveAgain(runDir, record, opts)));
    const cgroup = createCgroup(id, record.limits);
    const entry = entryFromAdoption(record, { runDir, provider, servers, cgroup });
    const handle = entry.handle;
    entries.set(id, entry);
    const res = await supervisorFetch(entry)("http://sandbox/health", { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new Error(`supervisor health answered ${res.status}`);
    writeFileSync(`${runDir}.owner`, processIdentity(), { mode: 0o600 });
    handle.state = "ready";
    handle.info.readyAt = new Date().toISOString();
    entry.unwatch = watchProcess(record.identity, () => onExit(entry, "adopted after a LAP restart, so its exit status is unknown"));
    opts.logger.info(
      { sandbox_id: id, pid: record.pid, session_id: record.labels.session_id },
      "adopted a sandbox an earlier LAP left running",
    );
  } catch (err) {
    entries.delete(id);
    await Promise.all(servers.map((s) => s.close().catch(() => {})));
    opts.logger.warn({ sandbox_id: id, err: (err as Error).message }, "could not adopt a sandbox an earlier LAP left running; killing it");
    reapSandbox(runRoot, id, opts.logger, record.pid);
  }
}
