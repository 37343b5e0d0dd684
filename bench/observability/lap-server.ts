/**
 * LAP in its own process for the observability benchmark: the gateway bench's setup (embedded PGlite, a
 * config.yaml model, a virtual key with limits), with OpenTelemetry traces sent to argv[3] when given.
 * Prometheus metrics are always recorded (there is no switch to turn them off).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../server/app";
import { spendFlushTimer } from "../../server/gateway/module";
import { loadConfig } from "../../server/config/load";
import { createDatabase } from "../../server/db/client";
import { migrate } from "../../server/db/migrate";
import { createLogger } from "../../server/lib/logger";

const [upstream, otlp] = [process.argv[2]!, process.argv[3]];
const dir = mkdtempSync(join(tmpdir(), "lap-bench-obs-"));
const configPath = join(dir, "config.yaml");
writeFileSync(
  configPath,
  `model_list:\n  - model_name: bench-model\n    litellm_params: { model: openai/gpt-4o-mini, api_base: ${upstream}, api_key: os.environ/BENCH_PROVIDER_KEY }\n`,
);
const rawEnv: Record<string, string> = {
  LAP_DATA_DIR: dir,
  MASTER_KEY: "bench-master-key-0123456789",
  LOG_LEVEL: "silent",
  LAP_GATEWAY_CONFIG: configPath,
  BENCH_PROVIDER_KEY: "sk-bench-provider",
  ...(otlp ? { OTEL_EXPORTER_OTLP_ENDPOINT: otlp } : {}),
};
const config = loadConfig(rawEnv);
const database = await createDatabase({ dataDir: join(dir, "pgdata") });
await migrate(database);
const { app, services, tracing } = createApp({ config, database, logger: createLogger("silent"), rawEnv });
const key = await services.gateway.keys.generate({
  key_alias: "bench",
  max_budget: 1_000_000,
  rpm_limit: 10_000_000,
  tpm_limit: 1_000_000_000,
  max_parallel_requests: 1000,
});
app.listen({ port: 0, hostname: "127.0.0.1" });
// Served without the app's start() (only the gateway is measured), so its spend flush runs as a started LAP's would.
const spendFlush = spendFlushTimer(services.gateway, config.env.LAP_GATEWAY_SPEND_FLUSH_MS);
spendFlush.start();
console.log(JSON.stringify({ url: `http://127.0.0.1:${app.server!.port}`, key: key.key, pid: process.pid }));
process.on("SIGTERM", async () => {
  await tracing.shutdown();
  spendFlush.stop();
  await services.gateway.flush();
  await database.close();
  process.exit(0);
});
