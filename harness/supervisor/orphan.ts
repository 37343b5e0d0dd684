/**
 * The bound on a sandbox that outlived LAP (docs/sandboxes.md "Lifetime of host sandboxes"): a local
 * sandbox is not killed with LAP, so that a restarted LAP can adopt it, but once LAP's bridge socket
 * (/run/lap/lap.sock, which LAP serves while it runs and serves again when it adopts the sandbox)
 * has refused connections for the grace period, the supervisor stops the sandbox itself. Nothing
 * inside the sandbox can keep it alive: the check is a connect to a socket only LAP can serve.
 */
import net from "node:net";

/** Resolves true when something accepts a connection on the Unix socket. */
export function socketAnswers(path: string, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(path);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

/**
 * Calls `onOrphaned` once `socketPath` has not answered for `graceSeconds` (checked every
 * `everyMs`). Returns the stop function.
 */
export function watchForLap(socketPath: string, graceSeconds: number, onOrphaned: (awayMs: number) => void, everyMs = 2_000): () => void {
  let goneSince: number | null = null;
  let checking = false;
  const timer = setInterval(async () => {
    if (checking) return;
    checking = true;
    try {
      if (await socketAnswers(socketPath)) goneSince = null;
      else {
        goneSince ??= Date.now();
        const away = Date.now() - goneSince;
        if (away >= graceSeconds * 1000) {
          clearInterval(timer);
          onOrphaned(away);
        }
      }
    } finally {
      checking = false;
    }
  }, everyMs);
  return () => clearInterval(timer);
}
