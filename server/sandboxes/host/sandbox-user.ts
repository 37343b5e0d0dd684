/**
 * Which host user a sandbox runs as (docs/security.md, "Sandboxes"). Never root: bubblewrap started
 * by real root maps the sandbox's user to host uid 0 whatever `--uid` says, so a LAP running as
 * root first drops to an unprivileged uid (`setpriv --reuid --regid --clear-groups`) and bubblewrap
 * then makes an unprivileged user namespace as that uid. Each workspace gets its own uid from
 * LAP_SANDBOX_UIDS (kept as the owner of the workspace directory); stdio MCP servers get the range's
 * first uid. A LAP that is not root runs sandboxes as its own uid, in a user namespace.
 *
 * Inside, every sandbox is uid/gid 1000 (`lap`), with its own /etc/passwd and /etc/group.
 */
import { lstatSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

export interface HostUser {
  uid: number;
  gid: number;
}

export interface UidRange {
  first: number;
  last: number;
}

export const DEFAULT_SANDBOX_UIDS: UidRange = { first: 2_000_000_000, last: 2_000_065_535 };

/** The user every sandbox sees itself as. */
export const INSIDE_USER = { uid: 1000, gid: 1000, name: "lap" } as const;

/** `first-last`, e.g. `2000000000-2000065535`; at least two uids (the first is the MCP servers'). */
export function parseUidRange(value: string): UidRange {
  const m = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(value);
  const first = Number(m?.[1]);
  const last = Number(m?.[2]);
  if (!m || !Number.isSafeInteger(first) || !Number.isSafeInteger(last) || first < 1000 || last <= first || last >= 2 ** 32 - 1) {
    throw new Error(
      `must be two uids first-last with 1000 <= first < last < 4294967295, e.g. 2000000000-2000065535 (got ${JSON.stringify(value)})`,
    );
  }
  return { first, last };
}

export const runningAsRoot = () => process.getuid?.() === 0;

/** /etc/passwd and /etc/group inside a sandbox: no host accounts, and the sandbox user has a name. */
export function insideAccounts(home: string): { passwd: string; group: string } {
  const u = INSIDE_USER;
  return {
    passwd: `root:x:0:0:root:/root:/usr/sbin/nologin\n${u.name}:x:${u.uid}:${u.gid}:LAP sandbox:${home}:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n`,
    group: `root:x:0:\n${u.name}:x:${u.gid}:\nnogroup:x:65534:\n`,
  };
}

/**
 * The command run as `user` (root only: a LAP that is not root already is its own unprivileged
 * user). Changing uid clears the parent-death signal, so setpriv arms it again after the change; the
 * command it runs checks its parent once more (bwrap.ts, openingFiles), which closes the race
 * server/lib/parent-bound.ts explains.
 */
export function droppedCommand(user: HostUser | null, command: string[], parentBound = true): string[] {
  if (!user) return command;
  return [
    "setpriv",
    `--reuid=${user.uid}`,
    `--regid=${user.gid}`,
    "--clear-groups",
    "--inh-caps=-all",
    ...(parentBound ? ["--pdeathsig", "KILL"] : []),
    "--",
    ...command,
  ];
}

export class SandboxUsers {
  constructor(
    private readonly range: UidRange = DEFAULT_SANDBOX_UIDS,
    private readonly asRoot = runningAsRoot(),
  ) {}

  /** The uid stdio MCP servers run as; null when LAP is not root (they run as LAP's uid in a user namespace). */
  mcpUser(): HostUser | null {
    return this.asRoot ? { uid: this.range.first, gid: this.range.first } : null;
  }

  /** A uid of the range that owns no workspace, for checking that sandboxes can start; null when LAP is not root. */
  forProbe(): HostUser | null {
    return this.asRoot ? { uid: this.range.last, gid: this.range.last } : null;
  }

  inRange(uid: number) {
    return uid > this.range.first && uid <= this.range.last;
  }

  /**
   * The host user of the workspace at `dir` (root only; null otherwise): the range uid that owns it,
   * else a new one, not owning any other workspace under `workspacesDir`, starting from a hash of the
   * name. The caller hands the directory over (handOver).
   */
  forWorkspace(workspacesDir: string, dir: string): HostUser | null {
    if (!this.asRoot) return null;
    const own = statSync(dir).uid;
    if (this.inRange(own)) return { uid: own, gid: own };
    const taken = new Set<number>();
    for (const name of readdirSync(workspacesDir)) {
      try {
        const st = lstatSync(join(workspacesDir, name));
        if (st.isDirectory() && this.inRange(st.uid)) taken.add(st.uid);
      } catch {}
    }
    const size = this.range.last - this.range.first;
    if (taken.size >= size)
      throw new Error(`every uid in LAP_SANDBOX_UIDS (${this.range.first}-${this.range.last}) owns a workspace; widen the range`);
    let i = Number(BigInt(Bun.hash(dir)) % BigInt(size));
    while (taken.has(this.range.first + 1 + i)) i = (i + 1) % size;
    const uid = this.range.first + 1 + i;
    return { uid, gid: uid };
  }
}

/**
 * Gives a tree to `user` (files LAP wrote into a workspace: a clone, an older LAP's workspace). GNU
 * chown -R -P never follows symbolic links and walks by file descriptor, so links a sandbox plants
 * while it runs cannot redirect it to a host file.
 */
export async function handOver(path: string, user: HostUser): Promise<void> {
  const proc = Bun.spawn(["chown", "-R", "-P", `${user.uid}:${user.gid}`, "--", path], { stdout: "ignore", stderr: "pipe" });
  const [err, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`could not give ${path} to uid ${user.uid}: ${err.trim()}`);
}
