import { describeEnv } from "../../server/config/schema";

/** The README's configuration table: every variable with its default and description, from the config schema. */
export function configMarkdown(): string {
  const lines = ["| Variable | Default | Description |", "|---|---|---|"];
  for (const r of describeEnv())
    lines.push(`| \`${r.name}\` | ${r.default ? `\`${r.default}\`` : ""} | ${r.meta.description}${r.meta.secret ? " *(secret)*" : ""} |`);
  lines.push("| `CONTAINER_ENV_*` | | Passed into every sandbox with the prefix stripped, as plain environment variables. |");
  return `${lines.join("\n")}\n`;
}
