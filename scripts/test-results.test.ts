/**
 * The counting behind test-all's final line, fed by a real `bun test` run over small fixture files
 * (so a change in bun's junit report or console output shows up here), and its argument handling.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bunSuiteCounts, finalLine, parseArgs, parseJunit, playwrightCounts, underPaths, unhandledErrors } from "./test-results";

const FIXTURES: Record<string, string> = {
  // 2 passed, 1 failed, 3 skipped (one with a reason in its describe; a skip and a todo without one)
  "mixed.test.ts": `import { describe, expect, test } from "bun:test";
test("adds <numbers> & \\"quotes\\"", () => expect(1 + 1).toBe(2));
test("is wrong", () => expect(1).toBe(2));
test("passes too", () => {});
describe.skipIf(true)("needs a thing [skipped: no thing on this machine]", () => { test("inner", () => {}); });
test.skip("skipped without a reason", () => {});
test.todo("written later");
`,
  // Throws while loading: absent from the junit report.
  "sub/crash.test.ts": `import { test } from "bun:test";
throw new Error("crashed while loading");
test("never registered", () => {});
`,
  // Registers no test at all (a precondition checked with a bare if): absent from the report too.
  "silent.test.ts": `import { test } from "bun:test";
if (process.env.NEVER_SET_ANYWHERE) test("hidden", () => {});
`,
  "clean.test.ts": `import { test } from "bun:test";
test("fine", () => {});
`,
};

let dir: string;
const runBun = async (files: string[]) => {
  const out = join(dir, `${files.length}-${Date.now()}.xml`);
  const proc = Bun.spawn([process.execPath, "test", "--reporter=junit", `--reporter-outfile=${out}`, ...files.map((f) => `./${f}`)], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: "1" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  let junit: string | null = null;
  try {
    junit = readFileSync(out, "utf8");
  } catch {}
  expect(stdout).not.toContain("Unhandled error"); // bun reports on stderr, which is all test-all reads
  return { asked: files, junit, output: stderr, exitCode };
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "lap-test-results-"));
  mkdirSync(join(dir, "sub"));
  for (const [name, body] of Object.entries(FIXTURES)) writeFileSync(join(dir, name), body);
});

describe("counting a bun suite", () => {
  test("passed, failed and skipped come from the report; skip reasons from the titles", async () => {
    const run = await runBun(["mixed.test.ts", "clean.test.ts"]);
    const counts = bunSuiteCounts(run);
    expect(counts).toMatchObject({ passed: 3, failed: 1, skipped: 3, notes: ["failed: mixed.test.ts › is wrong"] });
    expect(Object.fromEntries(counts.skipReasons)).toEqual({ "no thing on this machine": 1, "no reason in its title": 2 });
    expect(parseJunit(run.junit!).find((c) => c.status === "passed")!.name).toBe('adds <numbers> & "quotes"');
  });

  test("a file that crashes while loading counts as failed even when another file failed too", async () => {
    const run = await runBun(["mixed.test.ts", "sub/crash.test.ts"]);
    expect(run.junit).not.toContain("sub/crash.test.ts");
    expect(unhandledErrors(run.output)).toEqual(["sub/crash.test.ts"]);
    const counts = bunSuiteCounts(run);
    expect(counts.failed).toBe(2);
    expect(counts.notes).toEqual(["failed: mixed.test.ts › is wrong", "sub/crash.test.ts: unhandled error between tests"]);
  });

  test("a file that registers no test is a failure naming it, not a silent pass", async () => {
    const run = await runBun(["clean.test.ts", "silent.test.ts"]);
    expect(run.exitCode).toBe(0);
    const counts = bunSuiteCounts(run);
    expect(counts).toMatchObject({ passed: 1, failed: 1, skipped: 0 });
    expect(counts.notes[0]).toStartWith("silent.test.ts: no test ran");
  });

  test("no report at all is one failure; a non-zero exit nothing explains is one failure", () => {
    expect(bunSuiteCounts({ asked: ["a.test.ts"], junit: null, output: "", exitCode: 134 })).toMatchObject({
      failed: 1,
      notes: ["bun test exited 134 without a report"],
    });
    const xml = `<testsuites><testsuite name="a.test.ts" file="a.test.ts"><testcase name="ok" file="a.test.ts" /></testsuite></testsuites>`;
    expect(bunSuiteCounts({ asked: ["./a.test.ts"], junit: xml, output: "", exitCode: 1 })).toMatchObject({
      passed: 1,
      failed: 1,
      notes: ["bun test exited 1 with no failure in its report"],
    });
    expect(bunSuiteCounts({ asked: ["./a.test.ts"], junit: xml, output: "", exitCode: 0 })).toMatchObject({
      passed: 1,
      failed: 0,
      notes: [],
    });
  });

  test("Playwright: flaky counts as passed; a non-zero exit with nothing unexpected fails", () => {
    expect(playwrightCounts({ expected: 3, unexpected: 1, flaky: 1, skipped: 2 }, 1)).toMatchObject({ passed: 4, failed: 1, skipped: 2 });
    expect(playwrightCounts({ expected: 3, unexpected: 0, flaky: 0, skipped: 0 }, 1)).toMatchObject({ passed: 3, failed: 1 });
  });
});

describe("the final line and the arguments", () => {
  test("the final line adds up every suite, skips included", () => {
    expect(
      finalLine([
        { passed: 10, failed: 1, skipped: 2 },
        { passed: 5, failed: 0, skipped: 3 },
      ]),
    ).toBe("15 passed, 1 failed, 5 skipped");
    expect(finalLine([])).toBe("0 passed, 0 failed, 0 skipped");
  });

  test("suite names in the registry's order; an unknown name is an error listing the known ones", () => {
    const known = ["pglite", "postgres", "e2e", "typecheck"];
    expect(parseArgs([], known)).toEqual({ suites: known, paths: [] });
    expect(parseArgs(["typecheck", "pglite"], known)).toEqual({ suites: ["pglite", "typecheck"], paths: [] });
    expect(parseArgs(["postgres", "--", "./server/lib", "bin/lap.test.ts"], known)).toEqual({
      suites: ["postgres"],
      paths: ["server/lib", "bin/lap.test.ts"],
    });
    expect(parseArgs(["pglit"], known)).toEqual({ error: "unknown suite: pglit (known: pglite, postgres, e2e, typecheck)" });
  });

  test("paths narrow by whole path segments, not substrings", () => {
    const files = ["bin/lap.test.ts", "harness/supervisor/tcp-first-bind.test.ts", "server/lib/crypto.test.ts", "server/library/x.test.ts"];
    expect(underPaths(files, [])).toEqual(files);
    expect(underPaths(files, ["bin"])).toEqual(["bin/lap.test.ts"]);
    expect(underPaths(files, ["server/lib/"])).toEqual(["server/lib/crypto.test.ts"]);
  });
});
