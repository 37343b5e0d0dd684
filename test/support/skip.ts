/**
 * Tests whose precondition is missing report themselves skipped, with the reason in their title
 * (`… [skipped: no pids cgroup on this machine]`), rather than passing without checking anything.
 * scripts/test-all.ts lists skips by that reason. Usage:
 *
 *   requires(TEST_DB_DRIVER === "postgres" ? null : ONLY_ON_POSTGRES).test("…", async () => { … });
 *   requires(BWRAP_MISSING).describe("…", () => { … });
 *
 * Keep beforeAll/afterAll of a describe that may be skipped outside it, guarded by the same condition:
 * bun reports a skipped describe's hooks as skipped tests of their own, which would inflate the count.
 */
import { describe, test } from "bun:test";
import { harnessBinary } from "../../harness/adapters/binaries.ts";
import { TEST_DB_DRIVER } from "./db";

/** `null` when the precondition holds; otherwise why these tests cannot run here. */
export type Missing = string | null;

export const BWRAP_MISSING: Missing = Bun.which("bwrap") ? null : "bubblewrap is not installed (apt-get install -y bubblewrap)";
/** OpenClaw has an install of its own (Node 26 + openclaw, ~850 MB), made by `node scripts/bootstrap.mjs openclaw`. */
export const OPENCLAW_MISSING: Missing = (() => {
  try {
    harnessBinary("openclaw");
    return null;
  } catch (error) {
    return (error as Error).message;
  }
})();
/** For tests that need several connections to one database (PGlite is one process): run with LAP_TEST_DB=postgres. */
export const NEEDS_POSTGRES: Missing = TEST_DB_DRIVER === "postgres" ? null : "needs PostgreSQL (LAP_TEST_DB=postgres)";

/** The first missing precondition of several, or null. */
export const firstMissing = (...missing: Missing[]): Missing => missing.find((m) => m !== null) ?? null;

type TestFn = Parameters<typeof test>[1];
type TestOptions = Parameters<typeof test>[2];
type DescribeFn = Parameters<typeof describe>[1];

export function requires(missing: Missing) {
  const title = (t: string) => (missing ? `${t} [skipped: ${missing}]` : t);
  return {
    test: (name: string, fn: TestFn, options?: TestOptions) => (missing ? test.skip(title(name), fn, options) : test(name, fn, options)),
    describe: (name: string, fn: DescribeFn) => (missing ? describe.skip(title(name), fn) : describe(name, fn)),
  };
}
