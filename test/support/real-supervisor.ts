/**
 * Starts the real harness/supervisor as a Kubernetes pod runs it: on TCP (LAP_SUPERVISOR_PORT, port 0
 * here: the port is read from its log line), with no token file, so the first /lap/bind brings the token.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const MAIN = join(import.meta.dir, "../../harness/supervisor/main.ts");

export interface RealSupervisor {
  baseUrl: string;
  /** Its workspace directory (LAP_WORKSPACE): a test plays the agent there. */
  workspace: string;
  /** Forwards a request (as the pod proxy would) to this supervisor, path included. */
  forward(req: Request, path: string): Promise<Response>;
  stop(): Promise<void>;
}

export async function startRealSupervisor(env: Record<string, string> = {}): Promise<RealSupervisor> {
  const workspace = env.LAP_WORKSPACE ?? mkdtempSync(join(tmpdir(), "lap-sup-tcp-"));
  const proc = Bun.spawn([process.execPath, MAIN], {
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      LAP_SUPERVISOR_PORT: "0",
      LAP_SUPERVISOR_HOST: "127.0.0.1",
      LAP_HARNESS: "builtin",
      ...env,
      LAP_WORKSPACE: workspace,
    },
    stdout: "ignore",
    stderr: "pipe",
  });
  const reader = proc.stderr.getReader();
  const dec = new TextDecoder();
  let text = "";
  let port = 0;
  const deadline = Date.now() + 20_000;
  while (!port && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += dec.decode(value);
    port = Number(/listening on .*tcp [^ ]+:(\d+)/.exec(text)?.[1] ?? 0);
  }
  if (!port) {
    proc.kill();
    throw new Error(`the supervisor did not report a TCP port:\n${text}`);
  }
  // Keep draining its log so the pipe never fills.
  void (async () => {
    for (;;) if ((await reader.read().catch(() => ({ done: true }))).done) break;
  })();
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    baseUrl,
    workspace,
    async forward(req, path) {
      const headers = new Headers(req.headers);
      headers.delete("host");
      const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.text();
      // The query too: the API server's pods/proxy passes it on (the fake hands over the path alone).
      return fetch(`${baseUrl}${path}${new URL(req.url).search}`, { method: req.method, headers, body });
    },
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}
