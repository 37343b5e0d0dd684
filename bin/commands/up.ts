import { Command } from "commander";
import { join } from "node:path";
import { ConfigError } from "../../server/config/load";
import { startLap, stopOnSignals } from "../../server/main";
import { color } from "./shared";

export function upCommand() {
  return new Command("up")
    .description("Start LAP: API, gateway and dashboard in one process (embedded PGlite unless DATABASE_URL is set)")
    .option("-p, --port <port>", "port to listen on (overrides PORT)")
    .option("--host <host>", "interface to bind (overrides HOST)")
    .action(async (opts: { port?: string; host?: string }) => {
      const env = { ...process.env, ...(opts.port ? { PORT: opts.port } : {}), ...(opts.host ? { HOST: opts.host } : {}) };
      let lap: Awaited<ReturnType<typeof startLap>>;
      try {
        lap = await startLap(env);
      } catch (err) {
        if (err instanceof ConfigError) {
          console.error(`${err.message}\nFix the variables above (see \`lap config\`).`);
        } else {
          console.error(`LAP could not start: ${(err as Error).message}\nRun \`lap doctor\` to check this machine.`);
        }
        process.exit(1);
      }
      stopOnSignals(lap);
      const { config } = lap;
      const keyLine = config.generated.masterKey
        ? `Log in with this master key (generated now, shown once; stored in ${join(config.dataDir, "master.key")}):\n\n    ${color.bold(config.masterKey)}\n`
        : config.env.MASTER_KEY
          ? "Log in with your MASTER_KEY."
          : `Log in with the master key in ${join(config.dataDir, "master.key")}`;
      console.error(
        [
          "",
          `  ${color.green("LAP")} ${config.version} is ready`,
          `  Dashboard  ${color.bold(`${lap.url}/`)}   (user: ${config.env.UI_USERNAME})`,
          `  API docs   ${lap.url}/docs`,
          `  Database   ${lap.database.mode === "embedded" ? `embedded PGlite in ${join(config.dataDir, "pgdata")}` : "external PostgreSQL (DATABASE_URL)"}`,
          ...(lap.sandboxCheck && !lap.sandboxCheck.ok
            ? [
                "",
                `  ${color.red("Sandboxes  local sandboxes cannot start")}: ${lap.sandboxCheck.reason}`,
                `             fix: ${lap.sandboxCheck.fix}`,
              ]
            : []),
          "",
          `  ${keyLine}`,
          "",
        ].join("\n"),
      );
    });
}
