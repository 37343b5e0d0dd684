/**
 * LAP in its own process as a user would run it: embedded PGlite, the gateway configured from a
 * config.yaml, a virtual key with limits (so auth, limit checks, routing and spend logging are all on).
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
import { freshPostgresUrl } from "../../test/support/db";

const upstream = process.argv[2]!;
const dir = mkdtempSync(join(tmpdir(), "lap-bench-"));
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
const config = loadConfig(rawEnv);
// BENCH_DB=postgres: a fresh database on the local PostgreSQL server instead of embedded PGlite.
const fresh = process.env.BENCH_DB === "postgres" ? await freshPostgresUrl("lap_bench") : undefined;
const database = fresh ? await createDatabase({ url: fresh.url }) : await createDatabase({ dataDir: join(dir, "pgdata") });
await migrate(database);
const { app, services } = createApp({ config, database, logger: createLogger("silent"), rawEnv });
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
  spendFlush.stop();
  await services.gateway.flush();
  const [n] = await database.query<{ n: number }>("select count(*)::int as n from gateway_spend_logs");
  console.log(JSON.stringify({ spendRows: n?.n, queue: services.gateway.spend.stats }));
  await database.close();
  await fresh?.drop();
  process.exit(0);
});
