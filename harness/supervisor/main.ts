/**
 * The supervisor: the first program in every sandbox. It listens for LAP on a Unix socket
 * (LAP_SUPERVISOR_SOCKET, host sandboxes) and/or on TCP (LAP_SUPERVISOR_PORT, Kubernetes pods), opens the loopback bridges to LAP (LAP_BRIDGES), starts the harness
 * (LAP_HARNESS), and waits to be bound to a session. It never imports server code and never sees a
 * real provider key: only the session-scoped gateway key it is given at bind time.
 */
import { existsSync, readFileSync, rmSync, unlinkSync } from "node:fs";
import { dirname } from "node:path";
import { hardenProcess } from "../harden";
import { parseBridges, startBridge } from "./bridge";
import { GatewayProxy } from "./gateway-proxy";
import { harnessEntry } from "./harness-process";
import { watchForLap } from "./orphan";
import { createHandler } from "./routes";
import { Supervisor } from "./supervisor";

const env = process.env;
const log = (message: string) => console.error(`[supervisor] ${message}`);
// Before the token is read: nothing the agent runs (same uid) may read this process's memory.
hardenProcess(log);

/** null: no token file (a warm pod): the first /lap/bind brings the token (docs/kubernetes.md). */
function readToken(): string | null {
  const file = env.LAP_SUPERVISOR_TOKEN_FILE;
  if (!file) return null;
  const token = readFileSync(file, "utf8").trim();
  // Gone before the harness starts, so nothing the agent runs can read it.
  unlinkSync(file);
  return token;
}

const socketPath = env.LAP_SUPERVISOR_SOCKET;
const tcpPort = env.LAP_SUPERVISOR_PORT ? Number(env.LAP_SUPERVISOR_PORT) : null;
if (tcpPort !== null && !(Number.isInteger(tcpPort) && tcpPort >= 0 && tcpPort < 65536))
  throw new Error(`LAP_SUPERVISOR_PORT is not a port: ${env.LAP_SUPERVISOR_PORT}`);
if (!socketPath && tcpPort === null) throw new Error("set LAP_SUPERVISOR_SOCKET (Unix socket) or LAP_SUPERVISOR_PORT (TCP)");
const token = readToken();
const harnessRoot = env.LAP_HARNESS_ROOT ?? dirname(import.meta.dir);
const workspace = env.LAP_WORKSPACE ?? process.cwd();
const harnessName = env.LAP_HARNESS ?? "builtin";

// The first bridge is LAP's (the gateway and /mcp): a proxy that holds the session key
// (./gateway-proxy.ts); the others (the egress proxy) are byte pipes.
const [lapBridge, ...otherBridges] = parseBridges(env.LAP_BRIDGES);
const proxy = lapBridge ? new GatewayProxy(lapBridge, (Number(env.LAP_GATEWAY_RETRY_SECONDS) || 0) * 1000).start() : null;
const bridges = await Promise.all(otherBridges.map(startBridge));

// The harness gets the sandbox's environment minus the supervisor's own settings.
const harnessEnv: Record<string, string> = {};
for (const [k, v] of Object.entries(env)) if (v !== undefined && !k.startsWith("LAP_SUPERVISOR_") && k !== "LAP_BRIDGES") harnessEnv[k] = v;
harnessEnv.LAP_WORKSPACE = workspace;

const supervisor = new Supervisor({
  harnessName,
  harnessEntry: harnessEntry(harnessRoot, harnessName),
  bunPath: env.LAP_BUN ?? process.execPath,
  workspace,
  harnessEnv,
  token,
  defaultMaxSteps: Number(env.LAP_MAX_STEPS ?? 50) || 50,
  log,
  proxy,
  // A pod reaches LAP over the network: its gateway proxy is made when the pod is prepared (docs/kubernetes.md).
  ...(lapBridge
    ? {}
    : {
        proxyFor: (gatewayBaseUrl: string) =>
          new GatewayProxy(
            { host: "127.0.0.1", port: 0, origin: new URL(gatewayBaseUrl).origin },
            (Number(env.LAP_GATEWAY_RETRY_SECONDS) || 0) * 1000,
          ).start(),
      }),
});
supervisor.startHarness();

const handler = createHandler(supervisor);
const servers: Array<{ stop(force?: boolean): unknown }> = [];
const where: string[] = [];
// idleTimeout 0: event streams stay open through long quiet tool runs (heartbeats also every 5 s).
if (socketPath) {
  if (existsSync(socketPath)) rmSync(socketPath);
  servers.push(Bun.serve({ unix: socketPath, fetch: handler, idleTimeout: 0 } as unknown as Parameters<typeof Bun.serve>[0]));
  where.push(socketPath);
}
if (tcpPort !== null) {
  const tcp = Bun.serve({ port: tcpPort, hostname: env.LAP_SUPERVISOR_HOST ?? "0.0.0.0", fetch: handler, idleTimeout: 0 });
  servers.push(tcp);
  where.push(`tcp ${tcp.hostname}:${tcp.port}`);
}
log(
  `listening on ${where.join(" and ")}, harness ${harnessName}, ${bridges.length + (proxy ? 1 : 0)} bridge(s)${token === null ? ", token from the first bind" : ""}`,
);

const shutdown = async () => {
  await supervisor.harness?.stop();
  for (const s of servers) s.stop(true);
  for (const b of bridges) b.close();
  supervisor.gatewayProxy?.close();
  process.exit(0);
};
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);

// An adoptable local sandbox: stop once LAP (its bridge, the first one) has been gone for the grace period.
const grace = Number(env.LAP_SUPERVISOR_ORPHAN_GRACE_SECONDS ?? 0);
const lapSocket = parseBridges(env.LAP_BRIDGES)[0]?.socketPath;
if (grace > 0 && lapSocket) {
  watchForLap(lapSocket, grace, (away) => {
    log(`LAP has been gone for ${Math.round(away / 1000)} s (grace ${grace} s): stopping this sandbox`);
    void shutdown();
  });
}
