#!/usr/bin/env bun
/** `lap`: start LAP, migrate, manage API keys, check the machine, back up and restore. Run with Bun: `bun bin/lap.ts <command>`. */
import { Command } from "commander";
import pkg from "../package.json" with { type: "json" };
import { backupCommand, restoreCommand } from "./commands/backup";
import { configCommand } from "./commands/config";
import { doctorCommand } from "./commands/doctor";
import { keysCommand } from "./commands/keys";
import { migrateCommand } from "./commands/migrate";
import { upCommand } from "./commands/up";

const program = new Command()
  .name("lap")
  .description("LAP: self-hosted orchestration for stateful AI agents.\nConfiguration comes from environment variables; see `lap config`.")
  .version(pkg.version)
  .showHelpAfterError("(add --help for usage)");

program.addCommand(upCommand());
program.addCommand(migrateCommand());
program.addCommand(keysCommand());
program.addCommand(doctorCommand());
program.addCommand(configCommand());
program.addCommand(backupCommand());
program.addCommand(restoreCommand());

await program.parseAsync(process.argv);
