/**
 * Runs every suite and ends with one line `N passed, N failed, N skipped` adding them all up (CI reads it).
 *  - pglite: bun test on embedded PGlite, every test file in the repository
 *  - postgres: bun test on the local PostgreSQL server, in fresh databases: the test files under
 *    server/, mcp/, slack/, schema/ and bin/ (harness/ files start real CLIs and run once, on PGlite; run one on
 *    PostgreSQL with `LAP_TEST_DB=postgres bun test <file>`)
 *  - e2e: Playwright dashboard tests under Node with Debian's chromium
 *  - image: scripts/image/image-test.ts builds the root Dockerfile with podman and runs it (each check counts;
 *    skipped with the reason where podman cannot run)
 *  - typecheck: the TypeScript type check (strict), counted as one test
 *  - lint: Biome's format and lint check (`biome ci`, biome.jsonc), counted as one test
 * `bun scripts/test-all.ts [suite…] [-- path…]`: only these suites (an unknown name exits 2), and with
 * paths only the bun suites' test files under them. Counting is in ./test-results.ts.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { bunSuiteCounts, finalLine, parseArgs, playwrightCounts, underPaths, type SuiteCounts } from "./test-results";

const ROOT = join(import.meta.dir, "..");
const OUT = join(ROOT, ".cache", "test-results");
const PG_URL = process.env.LAP_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

interface SuiteResult extends SuiteCounts {
  name: string;
  seconds: number;
}
type Suite = (paths: string[]) => Promise<SuiteCounts>;

/**
 * Test files as bun finds them (its default name patterns) under the given top-level directories
 * (default: every one but dependencies, tool installs and caches), sorted.
 */
function testFiles(under?: string[]): string[] {
  const skip = /(^|\/)(node_modules|dist)\//;
  const dirs =
    under ??
    readdirSync(ROOT, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith(".") && d.name !== "node_modules")
      .map((d) => d.name);
  const glob = new Bun.Glob("**/*{.test,_test,.spec,_spec}.{ts,tsx,js,jsx,mjs,cjs}");
  const files = dirs.flatMap((d) => (existsSync(join(ROOT, d)) ? [...glob.scanSync({ cwd: join(ROOT, d) })].map((f) => `${d}/${f}`) : []));
  return files.filter((f) => !skip.test(f)).sort();
}

/** Runs a command with its output passed through; returns the exit code and what it wrote to stderr (bun's report). */
async function run(cmd: string[], env: Record<string, string>): Promise<{ exitCode: number; stderr: string }> {
  let proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  try {
    proc = Bun.spawn(cmd, { cwd: ROOT, env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  } catch (error) {
    // A missing tool (no biome, no node) fails its suite with the reason, never the whole run.
    const message = `could not start ${cmd[0]}: ${error instanceof Error ? error.message : String(error)}\n`;
    process.stderr.write(message);
    return { exitCode: 127, stderr: message };
  }
  const relay = async (stream: ReadableStream<Uint8Array>, sink: NodeJS.WriteStream, keep: string[] | null) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      sink.write(chunk);
      keep?.push(decoder.decode(chunk, { stream: true }));
    }
  };
  const stderr: string[] = [];
  const [, , exitCode] = await Promise.all([
    relay(proc.stdout, process.stdout, null),
    relay(proc.stderr, process.stderr, stderr),
    proc.exited,
  ]);
  return { exitCode, stderr: stderr.join("") };
}

async function bunSuite(name: string, env: Record<string, string>, files: string[]): Promise<SuiteCounts> {
  const junit = join(OUT, `${name}.xml`);
  if (!files.length) return { passed: 0, failed: 0, skipped: 0, notes: ["no test file selected"], skipReasons: new Map() };
  // Explicit paths (`./` makes bun read them as files, not name filters), so the report can be checked against them.
  const { exitCode, stderr } = await run(
    [process.execPath, "test", "--reporter=junit", `--reporter-outfile=${junit}`, ...files.map((f) => `./${f}`)],
    env,
  );
  return bunSuiteCounts({ asked: files, junit: existsSync(junit) ? readFileSync(junit, "utf8") : null, output: stderr, exitCode });
}

async function postgresReachable(): Promise<string | null> {
  const { default: postgres } = await import("postgres");
  const sql = postgres(PG_URL, { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    await sql`select 1`;
    return null;
  } catch (e) {
    return (e as Error).message;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** The suites, in the order they run. A new suite is one more entry. */
const SUITES: Record<string, Suite> = {
  pglite: (paths) => bunSuite("pglite", { LAP_TEST_DB: "pglite" }, underPaths(testFiles(), paths)),
  postgres: async (paths) => {
    const problem = await postgresReachable();
    if (problem)
      return {
        passed: 0,
        failed: 1,
        skipped: 0,
        notes: [`PostgreSQL at ${PG_URL} is not reachable (${problem}); set LAP_TEST_PG_URL`],
        skipReasons: new Map(),
      };
    return bunSuite(
      "postgres",
      { LAP_TEST_DB: "postgres", LAP_TEST_PG_URL: PG_URL },
      underPaths(testFiles(["server", "mcp", "slack", "schema", "bin"]), paths),
    );
  },
  e2e: async () => {
    const report = join(OUT, "e2e.json");
    const { exitCode } = await run(["node", join(ROOT, "node_modules/@playwright/test/cli.js"), "test", "-c", "e2e/playwright.config.ts"], {
      PLAYWRIGHT_JSON_OUTPUT_NAME: report,
    });
    if (!existsSync(report))
      return { passed: 0, failed: 1, skipped: 0, notes: [`playwright exited ${exitCode} without a report`], skipReasons: new Map() };
    return playwrightCounts(JSON.parse(readFileSync(report, "utf8")).stats, exitCode);
  },
  image: async () => {
    const report = join(OUT, "image.json");
    const { exitCode } = await run([process.execPath, join(ROOT, "scripts/image/image-test.ts"), "--report", report], {});
    if (!existsSync(report))
      return { passed: 0, failed: 1, skipped: 0, notes: [`image-test exited ${exitCode} without a report`], skipReasons: new Map() };
    const { results } = JSON.parse(readFileSync(report, "utf8")) as {
      results: Array<{ name: string; status: "pass" | "fail" | "skip"; detail: string }>;
    };
    const count = (status: string) => results.filter((r) => r.status === status).length;
    const skipReasons = new Map<string, number>();
    for (const r of results) if (r.status === "skip") skipReasons.set(r.detail || r.name, (skipReasons.get(r.detail || r.name) ?? 0) + 1);
    // A crash after the report still fails the suite.
    const crashed = exitCode !== 0 && count("fail") === 0;
    return {
      passed: count("pass"),
      failed: count("fail") + (crashed ? 1 : 0),
      skipped: count("skip"),
      notes: crashed ? [`exit code ${exitCode}`] : [],
      skipReasons,
    };
  },
  typecheck: async () => {
    const { exitCode } = await run(["node", join(ROOT, "node_modules/typescript/bin/tsc"), "--noEmit", "-p", "."], {});
    return { passed: exitCode === 0 ? 1 : 0, failed: exitCode === 0 ? 0 : 1, skipped: 0, notes: [], skipReasons: new Map() };
  },
  // Biome's format and lint check over the tree (biome.jsonc), counted as one test.
  lint: async () => {
    const { exitCode } = await run([join(ROOT, "node_modules/.bin/biome"), "ci", ".", "--colors=off"], {});
    return {
      passed: exitCode === 0 ? 1 : 0,
      failed: exitCode === 0 ? 0 : 1,
      skipped: 0,
      notes:
        exitCode === 0
          ? []
          : [
              exitCode === 127
                ? "Biome is not installed: `node scripts/bootstrap.mjs test` installs it"
                : "run `bun x biome check --write .`",
            ],
      skipReasons: new Map(),
    };
  },
};

const args = parseArgs(process.argv.slice(2), Object.keys(SUITES));
if ("error" in args) {
  console.error(`${args.error}\nusage: bun scripts/test-all.ts [suite…] [-- path…]`);
  process.exit(2);
}

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const results: SuiteResult[] = [];
for (const name of args.suites) {
  console.log(`\n━━ ${name} ━━`);
  const started = performance.now();
  const counts = await SUITES[name]!(args.paths);
  results.push({ name, ...counts, seconds: (performance.now() - started) / 1000 });
}

console.log("\nsuite       passed  failed  skipped  seconds");
for (const r of results) {
  console.log(
    `${r.name.padEnd(11)} ${String(r.passed).padStart(6)}  ${String(r.failed).padStart(6)}  ${String(r.skipped).padStart(7)}  ${r.seconds.toFixed(1).padStart(7)}`,
  );
  for (const note of r.notes) console.log(`  ${r.name}: ${note}`);
  for (const [reason, n] of r.skipReasons) console.log(`  ${r.name}: ${n} skipped: ${reason}`);
}
console.log(finalLine(results));
process.exit(results.some((r) => r.failed > 0) ? 1 : 0);
