/**
 * Counting for scripts/test-all.ts: what one suite's run passed, failed and skipped, from bun's junit
 * report and its console output (or Playwright's JSON stats), and the final line CI reads.
 * Pure functions, so scripts/test-results.test.ts can feed them what bun really writes.
 */

export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

export interface SuiteCounts extends Counts {
  /** Why failures were added beyond the report's own (crashed files, a non-zero exit), one line each. */
  notes: string[];
  /** Skipped tests by reason (the `[skipped: …]` in their title, see test/support/skip.ts). */
  skipReasons: Map<string, number>;
}

export interface JunitCase {
  file: string;
  name: string;
  classname: string;
  status: "passed" | "failed" | "skipped";
}

const XML_ENTITIES: Record<string, string> = { "&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": '"', "&apos;": "'" };
const unescapeXml = (s: string) =>
  s.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-f]+);/gi, (m) =>
    m.startsWith("&#x")
      ? String.fromCodePoint(parseInt(m.slice(3, -1), 16))
      : m.startsWith("&#")
        ? String.fromCodePoint(Number(m.slice(2, -1)))
        : XML_ENTITIES[m]!,
  );
const attribute = (attrs: string, name: string) => {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(attrs);
  return m ? unescapeXml(m[1]!) : "";
};

/**
 * Every <testcase> of bun's junit report (bun escapes `<`, `>` and quotes inside attributes, so an
 * attribute list never holds a raw `>`). A case with <failure> or <error> failed; with <skipped>
 * (test.skip, skipIf, todo) it was skipped.
 */
export function parseJunit(xml: string): JunitCase[] {
  const cases: JunitCase[] = [];
  const re = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
  for (let m = re.exec(xml); m; m = re.exec(xml)) {
    const attrs = m[1]!;
    const body = m[3] ?? "";
    const status = /<(failure|error)\b/.test(body) ? "failed" : /<skipped\b/.test(body) ? "skipped" : "passed";
    cases.push({
      file: normalizePath(attribute(attrs, "file")),
      name: attribute(attrs, "name"),
      classname: attribute(attrs, "classname"),
      status,
    });
  }
  return cases;
}

export const normalizePath = (p: string) => p.replace(/^\.\//, "");

/**
 * One entry per "# Unhandled error between tests" in bun's console output (stderr), naming the test file it
 * printed under (bun prints `path/to/file.test.ts:` before each file's results). A file that throws
 * while loading never reaches the junit report, and bun's report has no count for these errors.
 */
export function unhandledErrors(output: string): string[] {
  const files: string[] = [];
  let current = "(before any test file)";
  for (const line of output.split("\n")) {
    const header = /^(\S+\.(?:test|spec)\.[cm]?[jt]sx?|\S+_(?:test|spec)\.[cm]?[jt]sx?):$/.exec(
      line.replace(/\x1b\[[0-9;]*m/g, "").trimEnd(),
    );
    if (header) current = normalizePath(header[1]!);
    else if (line.includes("# Unhandled error between tests")) files.push(current);
  }
  return files;
}

const SKIP_REASON = /\[skipped: ([^\]]+)\]/;

/** Skipped cases tallied by the reason their title (or an enclosing describe's) gives. */
export function skipReasonsOf(cases: JunitCase[]): Map<string, number> {
  const reasons = new Map<string, number>();
  for (const c of cases) {
    if (c.status !== "skipped") continue;
    const reason = SKIP_REASON.exec(c.name)?.[1] ?? SKIP_REASON.exec(c.classname)?.[1] ?? "no reason in its title";
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  return reasons;
}

/**
 * A bun suite's counts. Failures are the report's failed cases, plus one per unhandled error between
 * tests (a crashed file), plus one per file bun was asked to run that is absent from the report and did
 * not crash visibly (it registered no test: a file whose precondition is missing must skip visibly),
 * plus one when bun exited non-zero while nothing above explains it.
 */
export function bunSuiteCounts(run: { asked: string[]; junit: string | null; output: string; exitCode: number }): SuiteCounts {
  const notes: string[] = [];
  if (run.junit === null) {
    return { passed: 0, failed: 1, skipped: 0, notes: [`bun test exited ${run.exitCode} without a report`], skipReasons: new Map() };
  }
  const cases = parseJunit(run.junit);
  const count = (s: JunitCase["status"]) => cases.filter((c) => c.status === s).length;
  let failed = count("failed");
  // Named in the summary, so the tail of a long CI log says which test failed.
  for (const c of cases) if (c.status === "failed") notes.push(`failed: ${c.file} › ${c.classname ? `${c.classname} › ` : ""}${c.name}`);
  const crashed = unhandledErrors(run.output);
  for (const file of crashed) notes.push(`${file}: unhandled error between tests`);
  failed += crashed.length;
  const reported = new Set(cases.map((c) => c.file));
  for (const file of run.asked.map(normalizePath)) {
    if (reported.has(file) || crashed.includes(file)) continue;
    notes.push(`${file}: no test ran (it registers none; report a missing precondition as skipped: test/support/skip.ts)`);
    failed += 1;
  }
  if (run.exitCode !== 0 && failed === 0) {
    notes.push(`bun test exited ${run.exitCode} with no failure in its report`);
    failed = 1;
  }
  return { passed: count("passed"), failed, skipped: count("skipped"), notes, skipReasons: skipReasonsOf(cases) };
}

/** Playwright's JSON reporter stats; a non-zero exit with no unexpected result still fails the suite. */
export function playwrightCounts(
  stats: { expected: number; unexpected: number; flaky: number; skipped: number },
  exitCode: number,
): SuiteCounts {
  const extra = exitCode !== 0 && stats.unexpected === 0 ? 1 : 0;
  return {
    passed: stats.expected + stats.flaky,
    failed: stats.unexpected + extra,
    skipped: stats.skipped,
    notes: extra ? [`playwright exited ${exitCode} with no unexpected result`] : [],
    skipReasons: new Map(),
  };
}

/** The last line of a run, which CI reads: every suite added up. */
export function finalLine(results: Counts[]): string {
  const sum = (k: keyof Counts) => results.reduce((n, r) => n + r[k], 0);
  return `${sum("passed")} passed, ${sum("failed")} failed, ${sum("skipped")} skipped`;
}

/**
 * Which suites to run from the command line: suite names, then optionally `--` and paths (files or
 * directories) that narrow the bun suites to the test files under them. No name means every suite.
 */
export function parseArgs(args: string[], known: readonly string[]): { suites: string[]; paths: string[] } | { error: string } {
  const dash = args.indexOf("--");
  const names = dash === -1 ? args : args.slice(0, dash);
  const paths = dash === -1 ? [] : args.slice(dash + 1).map(normalizePath);
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length) return { error: `unknown suite${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")} (known: ${known.join(", ")})` };
  return { suites: names.length ? known.filter((k) => names.includes(k)) : [...known], paths };
}

/** `files` narrowed to those equal to, or under, one of `paths` (all of them when no path is given). */
export function underPaths(files: string[], paths: string[]): string[] {
  if (!paths.length) return files;
  const dirs = paths.map((p) => p.replace(/\/+$/, ""));
  return files.filter((f) => dirs.some((d) => f === d || f.startsWith(`${d}/`)));
}
