import { Command } from "commander";
import { describeEnv } from "../../server/config/schema";
import { configMarkdown } from "./config-table";
import { envExample } from "./env-example";

/** Prints every environment variable with its default; `--markdown` produces the README table. */
export function configCommand() {
  return new Command("config")
    .description("List every environment variable LAP reads, with defaults and descriptions")
    .option("--markdown", "print a Markdown table (used for the README)")
    .option("--env-example", "print .env.example for compose.yaml (every variable, commented out at its default)")
    .action((opts: { markdown?: boolean; envExample?: boolean }) => {
      if (opts.envExample) {
        process.stdout.write(envExample());
        return;
      }
      if (opts.markdown) {
        process.stdout.write(configMarkdown());
        return;
      }
      const rows = describeEnv();
      let group = "";
      for (const r of rows) {
        if (r.meta.group !== group) console.log(`\n${(group = r.meta.group)}`);
        console.log(`  ${r.name.padEnd(30)} ${(r.default ?? "").padEnd(22)} ${r.meta.description}`);
      }
    });
}
