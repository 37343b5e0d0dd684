/**
 * CPU per proxied request inside LAP, for finding where it goes: LAP in this process (embedded PGlite,
 * logger silent as in the benchmark), the fake provider and the load (profile-client.ts) in child
 * processes on loopback. Prints this process's CPU µs per request for a non-streaming and a streaming
 * chat completion.
 * Run under `bun --cpu-prof --cpu-prof-dir=DIR bench/gateway/profile.ts [n=4000] [concurrency=20]` and
 * read the profile with bench/gateway/profile-summary.ts, giving it a phase's printed window.
 */
import { spawn } from "bun";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createApp } from "../../server/app";
import { spendFlushTimer } from "../../server/gateway/module";
import { loadConfig } from "../../server/config/load";
import { createDatabase } from "../../server/db/client";
import { migrate } from "../../server/db/migrate";
import { createLogger } from "../../server/lib/logger";

const N = Number(process.argv[2] ?? 4000);
const CONCURRENCY = Number(process.argv[3] ?? 20);
const here = fileURLToPath(new URL(".", import.meta.url));

const fake = spawn(["bun", `${here}../../test/support/fake-openai-server.ts`, "sk-bench-provider"], {
  stdout: "pipe",
  stderr: "inherit",
  stdin: "ignore",
});
const firstLine = await (async () => {
  const reader = fake.stdout.getReader();
  let buf = "";
  while (!buf.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("fake provider exited early");
    buf += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return buf.slice(0, buf.indexOf("\n"));
})();
const upstream = (JSON.parse(firstLine) as { url: string }).url;

const dir = mkdtempSync(join(tmpdir(), "lap-profile-"));
const configPath = join(dir, "config.yaml");
writeFileSync(
  configPath,
  `model_list:
  - model_name: bench-model
    litellm_params: { model: openai/gpt-4o-mini, api_base: ${upstream}, api_key: os.environ/BENCH_PROVIDER_KEY }
`,
);
const rawEnv = {
  LAP_DATA_DIR: dir,
  MASTER_KEY: "bench-master-key-0123456789",
  LOG_LEVEL: "silent",
  LAP_GATEWAY_CONFIG: configPath,
  BENCH_PROVIDER_KEY: "sk-bench-provider",
  ...(process.env.LAP_GATEWAY_SPEND_FLUSH_MS ? { LAP_GATEWAY_SPEND_FLUSH_MS: process.env.LAP_GATEWAY_SPEND_FLUSH_MS } : {}),
};
const database = await createDatabase({ dataDir: join(dir, "pgdata") });
await migrate(database);
const { app, services } = createApp({ config: loadConfig(rawEnv), database, logger: createLogger("silent"), rawEnv });
const { key } = await services.gateway.keys.generate({
  key_alias: "profile",
  max_budget: 1_000_000,
  rpm_limit: 10_000_000,
  tpm_limit: 1_000_000_000,
  max_parallel_requests: 1000,
});
app.listen({ port: 0, hostname: "127.0.0.1" });
// Served without the app's start() (only the gateway is measured), so its spend flush runs as a started LAP's would.
const spendFlush = spendFlushTimer(services.gateway, loadConfig(rawEnv).env.LAP_GATEWAY_SPEND_FLUSH_MS);
spendFlush.start();
const url = `http://127.0.0.1:${app.server!.port}/v1/chat/completions`;

/** CPU ticks (1/100 s) per thread name of this process, to see what runs off the JS thread (GC, HTTP client, I/O). */
function threadTicks(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")).replace(/\d+$/, "");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(name, (out.get(name) ?? 0) + Number(fields[11]) + Number(fields[12]));
    } catch {
      // the thread ended
    }
  }
  return out;
}

// The load comes from another process, so this process's CPU is LAP's alone (plus the idle fake's pipe).
const client = spawn(["bun", `${here}profile-client.ts`, url, key, String(N), String(CONCURRENCY)], {
  stdout: "pipe",
  stderr: "inherit",
  stdin: "ignore",
});
let cpu0 = process.cpuUsage();
let threads0 = threadTicks();
let from = Date.now();
let buf = "";
for await (const chunk of client.stdout) {
  buf += new TextDecoder().decode(chunk);
  let nl: number;
  while ((nl = buf.indexOf("\n")) >= 0) {
    const [what, label, count] = buf.slice(0, nl).split(" ");
    buf = buf.slice(nl + 1);
    if (what === "start") {
      threads0 = threadTicks();
      cpu0 = process.cpuUsage();
      from = Date.now();
    } else if (what === "end") {
      const cpu = process.cpuUsage(cpu0);
      const n = Number(count);
      const wall = Date.now() - from;
      console.log(
        `${label!.padEnd(15)} ${((cpu.user + cpu.system) / n).toFixed(1)} µs CPU/request (user ${(cpu.user / n).toFixed(1)}, system ${(cpu.system / n).toFixed(1)}), ${(n / (wall / 1000)).toFixed(0)} req/s (window ${from}-${Date.now()})`,
      );
      const threads = [...threadTicks()]
        .map(([name, t]) => [name, ((t - (threads0.get(name) ?? 0)) * 10_000) / n] as const)
        .filter(([, us]) => us >= 1)
        .sort((a, b) => b[1] - a[1]);
      console.log(`  by thread (µs/request): ${threads.map(([name, us]) => `${name} ${us.toFixed(0)}`).join(", ")}`);
    }
  }
}
if ((await client.exited) !== 0) throw new Error("load client failed");
spendFlush.stop();
await services.gateway.flush();
console.log(`spend rows queued ${services.gateway.spend.stats.queued}, written ${services.gateway.spend.stats.written}`);
await app.stop();
fake.kill("SIGTERM");
await database.close();
process.exit(0);
