import { Command } from "commander";
import { describeEnv } from "../../server/config/schema";
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
      const rows = describeEnv();
      if (opts.markdown) {
        console.log("| Variable | Default | Description |\n|---|---|---|");
        for (const r of rows) console.log(`| \`${r.name}\` | ${r.default ? `\`${r.default}\`` : ""} | ${r.meta.description}${r.meta.secret ? " *(secret)*" : ""} |`);
        console.log("| `CONTAINER_ENV_*` | | Passed into every sandbox with the prefix stripped, as plain environment variables. |");
        return;
      }
      let group = "";
      for (const r of rows) {
        if (r.meta.group !== group) console.log(`\n${(group = r.meta.group)}`);
        console.log(`  ${r.name.padEnd(30)} ${(r.default ?? "").padEnd(22)} ${r.meta.description}`);
      }
    });
}
