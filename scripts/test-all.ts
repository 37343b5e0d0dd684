/**
 * Runs every suite and ends with one line `N passed, N failed` adding them all up.
 *  1. bun test on embedded PGlite (every *.test.ts)
 *  2. bun test on the local PostgreSQL server (server/, schema/ and bin/ tests), in fresh databases
 *  3. Playwright dashboard tests under Node with Debian's chromium
 *  4. the TypeScript type check (strict), counted as one test
 *  5. the image: scripts/image/image-test.ts builds the root Dockerfile with podman and runs it (each check counts)
 * Pass suite names to run only some: `bun scripts/test-all.ts pglite postgres e2e typecheck image`.
 */
import { mkdirSync, readFileSync, existsSync, rmSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..");
const OUT = join(ROOT, ".cache", "test-results");
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const PG_URL = process.env.LAP_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

interface SuiteResult {
  name: string;
  passed: number;
  failed: number;
  skipped: number;
  seconds: number;
  note?: string;
}

function junitCounts(file: string): { tests: number; failures: number; skipped: number } | null {
  if (!existsSync(file)) return null;
  const xml = readFileSync(file, "utf8");
  const m = /<testsuites[^>]*?\stests="(\d+)"[^>]*?\sfailures="(\d+)"(?:[^>]*?\sskipped="(\d+)")?/.exec(xml);
  if (!m) return null;
  const errors = Number(/<testsuites[^>]*?\serrors="(\d+)"/.exec(xml)?.[1] ?? 0);
  return { tests: Number(m[1]), failures: Number(m[2]) + errors, skipped: Number(m[3] ?? 0) };
}

async function run(cmd: string[], env: Record<string, string>): Promise<number> {
  const proc = Bun.spawn(cmd, { cwd: ROOT, env: { ...process.env, ...env }, stdout: "inherit", stderr: "inherit" });
  return proc.exited;
}

async function bunSuite(name: string, env: Record<string, string>, paths: string[]): Promise<SuiteResult> {
  const started = performance.now();
  const junit = join(OUT, `${name}.xml`);
  console.log(`\n━━ ${name} ━━`);
  const code = await run([process.execPath, "test", "--reporter=junit", `--reporter-outfile=${junit}`, ...paths], env);
  const counts = junitCounts(junit);
  const seconds = (performance.now() - started) / 1000;
  if (!counts) return { name, passed: 0, failed: 1, skipped: 0, seconds, note: `bun test exited ${code} without a report` };
  const passed = counts.tests - counts.failures - counts.skipped;
  // A crash after the report (or an unhandled error between tests) still fails the suite.
  const extra = code !== 0 && counts.failures === 0 ? 1 : 0;
  return { name, passed, failed: counts.failures + extra, skipped: counts.skipped, seconds, note: extra ? `exit code ${code}` : undefined };
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

async function e2eSuite(): Promise<SuiteResult> {
  const started = performance.now();
  const report = join(OUT, "e2e.json");
  console.log("\n━━ e2e (Playwright, chromium) ━━");
  const code = await run(["node", join(ROOT, "node_modules/@playwright/test/cli.js"), "test", "-c", "e2e/playwright.config.ts"], {
    PLAYWRIGHT_JSON_OUTPUT_NAME: report,
  });
  const seconds = (performance.now() - started) / 1000;
  if (!existsSync(report)) return { name: "e2e", passed: 0, failed: 1, skipped: 0, seconds, note: `playwright exited ${code} without a report` };
  const stats = JSON.parse(readFileSync(report, "utf8")).stats as { expected: number; unexpected: number; flaky: number; skipped: number };
  const extra = code !== 0 && stats.unexpected === 0 ? 1 : 0;
  return { name: "e2e", passed: stats.expected + stats.flaky, failed: stats.unexpected + extra, skipped: stats.skipped, seconds };
}

async function imageSuite(): Promise<SuiteResult> {
  const started = performance.now();
  const report = join(OUT, "image.json");
  console.log("\n━━ image (root Dockerfile built with podman, run, a session held in it) ━━");
  const code = await run([process.execPath, join(ROOT, "scripts/image/image-test.ts"), "--report", report], {});
  const seconds = (performance.now() - started) / 1000;
  if (!existsSync(report)) return { name: "image", passed: 0, failed: 1, skipped: 0, seconds, note: `image-test exited ${code} without a report` };
  const { results } = JSON.parse(readFileSync(report, "utf8")) as { results: Array<{ status: "pass" | "fail" | "skip" }> };
  const count = (s: string) => results.filter((r) => r.status === s).length;
  const extra = code !== 0 && count("fail") === 0 ? 1 : 0;
  return { name: "image", passed: count("pass"), failed: count("fail") + extra, skipped: count("skip"), seconds, note: extra ? `exit code ${code}` : undefined };
}

const wanted = new Set(process.argv.slice(2));
const want = (s: string) => wanted.size === 0 || wanted.has(s);
const results: SuiteResult[] = [];

if (want("pglite")) results.push(await bunSuite("pglite", { LAP_TEST_DB: "pglite" }, []));
if (want("postgres")) {
  const problem = await postgresReachable();
  if (problem) {
    console.log(`\nPostgreSQL at ${PG_URL} is not reachable (${problem}); set LAP_TEST_PG_URL.`);
    results.push({ name: "postgres", passed: 0, failed: 1, skipped: 0, seconds: 0, note: "server unreachable" });
  } else {
    results.push(await bunSuite("postgres", { LAP_TEST_DB: "postgres", LAP_TEST_PG_URL: PG_URL }, ["server", "schema", "bin"]));
  }
}
if (want("e2e")) results.push(await e2eSuite());
if (want("image")) results.push(await imageSuite());
if (want("typecheck")) {
  const started = performance.now();
  console.log("\n━━ typecheck (tsc --noEmit, strict) ━━");
  const code = await run(["node", join(ROOT, "node_modules/typescript/bin/tsc"), "--noEmit", "-p", "."], {});
  results.push({ name: "typecheck", passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1, skipped: 0, seconds: (performance.now() - started) / 1000 });
}

console.log("\nsuite       passed  failed  skipped  seconds");
for (const r of results) {
  console.log(`${r.name.padEnd(11)} ${String(r.passed).padStart(6)}  ${String(r.failed).padStart(6)}  ${String(r.skipped).padStart(7)}  ${r.seconds.toFixed(1).padStart(7)}${r.note ? `  (${r.note})` : ""}`);
}
const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
