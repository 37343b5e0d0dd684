import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { configMarkdown } from "./config-table";

test("the README's configuration table is `lap config --markdown`: every variable LAP reads, none it does not", () => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  // Regenerate with `bun bin/lap.ts config --markdown` and paste it under "## Configuration".
  expect(readme).toContain(configMarkdown());
});
