// Runs one harness adapter on this machine against a gateway, for trying a CLI with a real key:
//   bun harness/adapters/try.ts <opencode|claude-code|codex> <gateway origin> <key> <model> "<prompt>"
// Events are printed as JSON lines. The workspace is the current directory.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHarnessAdapter } from "./index.ts";
import { HARNESS_NAMES, type HarnessName } from "./types.ts";

const [name, gatewayUrl, apiKey, model, prompt] = process.argv.slice(2);
if (!name || !HARNESS_NAMES.includes(name as HarnessName) || !gatewayUrl || !apiKey || !model || !prompt) {
  console.error(`usage: bun harness/adapters/try.ts <${HARNESS_NAMES.join("|")}> <gateway origin> <key> <model> "<prompt>"`);
  process.exit(2);
}
const home = mkdtempSync(join(tmpdir(), `lap-try-${name}-`));
const adapter = createHarnessAdapter(name as HarnessName, { workspace: process.cwd(), home, gatewayUrl, apiKey, model });
process.on("SIGINT", () => void adapter.interrupt());
await adapter.start();
const result = await adapter.send(prompt, (event) => console.log(JSON.stringify(event)));
await adapter.stop();
process.exit(result.outcome === "error" ? 1 : 0);
