/**
 * Bundles the supervisor and the built-in agent into two single-file programs once per LAP process.
 * Every sandbox start then skips module resolution and TypeScript transpiling (there is no writable
 * transpiler cache shared between sandboxes, on purpose), which is most of a cold start.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";

export interface HarnessBundle {
  dir: string;
  supervisor: string;
  agent: string;
}

export async function bundleHarness(harnessRoot: string, outDir: string): Promise<HarnessBundle> {
  mkdirSync(outDir, { recursive: true });
  const result = await Bun.build({
    entrypoints: [join(harnessRoot, "supervisor", "main.ts"), join(harnessRoot, "agent", "main.ts")],
    outdir: outDir,
    target: "bun",
    root: harnessRoot,
    naming: "[dir]/[name].js",
  });
  if (!result.success) throw new Error(`could not bundle harness/: ${result.logs.map(String).join("; ")}`);
  return { dir: outDir, supervisor: join(outDir, "supervisor", "main.js"), agent: join(outDir, "agent", "main.js") };
}
