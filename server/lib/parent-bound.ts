/**
 * Ties a sandbox's process to the LAP that spawns it, without the gap bubblewrap leaves.
 * `bwrap --die-with-parent` sets PR_SET_PDEATHSIG only once bwrap runs (after the shell, prlimit
 * and bwrap's own start-up) and never checks whether its parent is already gone: a LAP killed in
 * that window (a loaded machine makes it long) leaves a sandbox reparented to init, for good. The
 * process provider has no parent-death signal at all.
 *
 * So the command is started as `setpriv --pdeathsig KILL -- sh -c '[ "$PPID" = <LAP pid> ] || exit 125; exec …'`:
 * the death signal is set before anything else and survives the execs (none is setuid), and the
 * shell then checks that its parent is still LAP, which closes the race: either LAP was alive when
 * the signal was armed (and its death delivers it), or the shell sees another parent and exits.
 * Without setpriv (util-linux < 2.33) the command runs as is; start-up recovery reaps leftovers.
 */
export const PARENT_GONE_EXIT = 125;

let setprivPath: string | null | undefined;

function setpriv(): string | null {
  if (setprivPath === undefined) setprivPath = Bun.which("setpriv") ?? null;
  return setprivPath;
}

export function parentBoundCommand(command: string[], parentPid = process.pid): string[] {
  const sp = setpriv();
  if (!sp) return command;
  return [
    sp,
    "--pdeathsig",
    "KILL",
    "--",
    "/bin/sh",
    "-c",
    `[ "$PPID" = "$0" ] || exit ${PARENT_GONE_EXIT}; exec "$@"`,
    String(parentPid),
    ...command,
  ];
}
