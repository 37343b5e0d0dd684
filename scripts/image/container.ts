/**
 * Runs a command from a mounted image's filesystem the way a container runtime would, without one:
 * its own mount and PID namespaces (util-linux unshare; the command is PID 1, like tini in a
 * container, and everything in it dies with it), a fresh /proc, a minimal /dev, a tmpfs /tmp, the data
 * directory bound where the image's VOLUME is, pivot_root into the image, then the image's USER with no
 * capabilities at all (setpriv from the image), and only the image's ENV plus what the caller adds.
 * The host's network is shared (`--network host`): LAP reaches the test PostgreSQL and the scripted
 * model on loopback, and the test reaches LAP.
 *
 * `readOnlyRoot` is Kubernetes' readOnlyRootFilesystem (deploy/k8s/lap.yaml); `maskProc` is Docker's
 * default for /proc (parts covered and read-only), under which bubblewrap cannot mount a new /proc.
 */
import { readFileSync } from "node:fs";

export interface ContainerOptions {
  rootfs: string;
  uid: number;
  gid: number;
  workdir: string;
  env: Record<string, string>;
  argv: string[];
  /** Host directory mounted at `volume` (the image's VOLUME). */
  data?: { host: string; volume: string };
  readOnlyRoot?: boolean;
  maskProc?: boolean;
}

// The setup runs as root in the new namespaces; mounts made here vanish with them. The image becomes the
// root with pivot_root, not chroot: the kernel refuses an unprivileged user namespace (bubblewrap's) to a
// process that is chrooted, and a container runtime pivots too.
const SETUP = `
set -eu
R="$1"; shift
mount --bind "$R" "$R"
mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
mount -t tmpfs -o nosuid,mode=0755,size=64k tmpfs "$R/dev"
for d in null zero full random urandom tty; do touch "$R/dev/$d"; mount --bind "/dev/$d" "$R/dev/$d"; done
mkdir "$R/dev/shm" "$R/dev/pts"; mount -t tmpfs -o nosuid,nodev,mode=1777 shm "$R/dev/shm"
ln -s /proc/self/fd "$R/dev/fd"; ln -s /proc/self/fd/0 "$R/dev/stdin"; ln -s /proc/self/fd/1 "$R/dev/stdout"; ln -s /proc/self/fd/2 "$R/dev/stderr"
mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs "$R/tmp"
if [ -n "$LAP_CT_DATA" ]; then mount --bind "$LAP_CT_DATA" "$R$LAP_CT_VOLUME"; fi
if [ "$LAP_CT_MASK_PROC" = 1 ]; then
  for f in keys timer_list sched_debug; do [ -e "$R/proc/$f" ] && mount --bind /dev/null "$R/proc/$f"; done
  for d in sys irq bus fs; do [ -d "$R/proc/$d" ] && mount --bind "$R/proc/$d" "$R/proc/$d" && mount -o remount,bind,ro "$R/proc/$d"; done
fi
cd "$R"
pivot_root . mnt
cd /
umount -l /mnt
if [ "$LAP_CT_RO" = 1 ]; then mount -o remount,bind,ro /; fi
exec /usr/bin/setpriv --reuid="$LAP_CT_UID" --regid="$LAP_CT_GID" --clear-groups --inh-caps=-all --bounding-set=-all -- /usr/bin/env -i -C "$LAP_CT_WORKDIR" "$@"
`;

/** The host command line that runs `opts.argv` in the image. */
export function containerCommand(opts: ContainerOptions): { cmd: string[]; env: Record<string, string> } {
  const envArgs = Object.entries(opts.env).map(([k, v]) => `${k}=${v}`);
  return {
    cmd: [
      "unshare",
      "--mount",
      "--pid",
      "--fork",
      "--kill-child",
      "--propagation",
      "private",
      "--",
      "/bin/sh",
      "-c",
      SETUP,
      "lap-container",
      opts.rootfs,
      ...envArgs,
      ...opts.argv,
    ],
    env: {
      PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
      LAP_CT_RO: opts.readOnlyRoot ? "1" : "0",
      LAP_CT_MASK_PROC: opts.maskProc ? "1" : "0",
      LAP_CT_DATA: opts.data?.host ?? "",
      LAP_CT_VOLUME: opts.data?.volume ?? "",
      LAP_CT_UID: String(opts.uid),
      LAP_CT_GID: String(opts.gid),
      LAP_CT_WORKDIR: opts.workdir,
    },
  };
}

/** Starts the command; the caller reads its output and kills it (SIGKILL to unshare ends the namespace). */
export function startContainer(opts: ContainerOptions) {
  const { cmd, env } = containerCommand(opts);
  return Bun.spawn(cmd, { env, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
}

/**
 * Sends `signal` to the container's PID 1 (as `docker stop` does): the namespace's first process, the
 * child of unshare (which does not pass signals on).
 */
export function signalContainer(proc: { pid: number }, signal: NodeJS.Signals): boolean {
  try {
    const children = readFileSync(`/proc/${proc.pid}/task/${proc.pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
    if (!children[0]) return false;
    process.kill(Number(children[0]), signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Kills the container and everything in it: its PID 1 first (the kernel then kills the whole PID
 * namespace), then unshare. Killing only unshare leaves PID 1 running, re-parented to the host's init.
 */
export function killContainer(proc: { pid: number; kill(signal?: number | NodeJS.Signals): void }): void {
  signalContainer(proc, "SIGKILL");
  proc.kill("SIGKILL");
}

/** Runs the command to its end (bounded by `ms`) and returns its output. */
export async function runInContainer(opts: ContainerOptions, ms = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = startContainer(opts);
  const timer = setTimeout(() => killContainer(proc), ms);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** uid and gid of a user name (or numeric uid[:gid]) as the image's /etc/passwd has it. */
export async function resolveUser(rootfs: string, user: string): Promise<{ uid: number; gid: number }> {
  const [name, group] = user.split(":");
  if (/^\d+$/.test(name ?? "")) return { uid: Number(name), gid: Number(group ?? name) };
  const passwd = await Bun.file(`${rootfs}/etc/passwd`).text();
  const line = passwd.split("\n").find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`user ${name} is not in the image's /etc/passwd`);
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}
