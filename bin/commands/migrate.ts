import { Command } from "commander";
import { migrate, migrationStatus } from "../../server/db/migrate";
import { openDatabase } from "../../server/db/open";
import { configOrExit } from "./shared";

export function migrateCommand() {
  return new Command("migrate")
    .description("Apply pending database migrations (LAP also does this at start-up, under an advisory lock)")
    .option("--status", "only show how many migrations are applied and pending")
    .action(async (opts: { status?: boolean }) => {
      const config = configOrExit();
      const database = await openDatabase(config);
      try {
        if (!opts.status) {
          const { applied } = await migrate(database);
          console.log(applied.length ? `Applied ${applied.length} migration(s).` : "Nothing to apply.");
        }
        const status = await migrationStatus(database);
        console.log(`${status.applied}/${status.total} migrations applied, ${status.pending} pending (${database.mode} database).`);
      } finally {
        await database.close();
      }
    });
}
