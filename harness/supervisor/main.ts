/**
 * The supervisor: the first program in every sandbox. It listens on a Unix socket for LAP
 * (LAP_SUPERVISOR_SOCKET), opens the loopback bridges to LAP (LAP_BRIDGES), starts the harness
 * (LAP_HARNESS), and waits to be bound to a session. It never imports server code and never sees a
 * real provider key: only the session-scoped gateway key it is given at bind time.
 */
import { existsSync, readFileSync, rmSync, unlinkSync } from "node:fs";
import { dirname } from "node:path";
import { parseBridges, startBridge } from "./bridge";
import { harnessEntry } from "./harness-process";
import { createHandler } from "./routes";
import { Supervisor } from "./supervisor";

const env = process.env;
const log = (message: string) => console.error(`[supervisor] ${message}`);

function readToken(): string {
  const file = env.LAP_SUPERVISOR_TOKEN_FILE;
  if (!file) throw new Error("LAP_SUPERVISOR_TOKEN_FILE is not set");
  const token = readFileSync(file, "utf8").trim();
  // Gone before the harness starts, so nothing the agent runs can read it.
  unlinkSync(file);
  return token;
}

const socketPath = env.LAP_SUPERVISOR_SOCKET;
if (!socketPath) throw new Error("LAP_SUPERVISOR_SOCKET is not set");
const token = readToken();
const harnessRoot = env.LAP_HARNESS_ROOT ?? dirname(import.meta.dir);
const workspace = env.LAP_WORKSPACE ?? process.cwd();
const harnessName = env.LAP_HARNESS ?? "builtin";

const bridges = await Promise.all(parseBridges(env.LAP_BRIDGES).map(startBridge));

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
});
supervisor.startHarness();

if (existsSync(socketPath)) rmSync(socketPath);
const server = Bun.serve({ unix: socketPath, fetch: createHandler(supervisor), idleTimeout: 0 });
log(`listening on ${socketPath}, harness ${harnessName}, ${bridges.length} bridge(s)`);

const shutdown = async () => {
  await supervisor.harness?.stop();
  server.stop(true);
  for (const b of bridges) b.close();
  process.exit(0);
};
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
