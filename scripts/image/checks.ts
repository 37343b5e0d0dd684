/**
 * The image test's checks (scripts/image/image-test.ts): each prints one line as it ends and lands in the
 * JSON report test-all reads. A failed gate check makes the later checks fail naming it, never run blind.
 */
import { writeSync } from "node:fs";

export type Status = "pass" | "fail" | "skip";

export class Checks {
  readonly results: Array<{ name: string; status: Status; detail: string; seconds: number }> = [];
  /** Why later checks cannot run (a gate failed); null when they can. */
  blocked: string | null = null;

  record(name: string, status: Status, detail: string, seconds: number) {
    this.results.push({ name, status, detail, seconds });
    const mark = status === "pass" ? "\x1b[32m✓\x1b[0m" : status === "fail" ? "\x1b[31m✗\x1b[0m" : "\x1b[33m-\x1b[0m";
    // Written at once (not buffered): CI shows each check as it ends.
    writeSync(1, `${mark} ${name} (${seconds.toFixed(1)} s)${detail ? `\n    ${detail.split("\n").join("\n    ")}` : ""}\n`);
  }

  /** One check. After a check that later ones need has failed, those fail too, naming it. */
  async check(name: string, fn: () => Promise<string | void>, opts: { gate?: boolean } = {}): Promise<boolean> {
    const started = performance.now();
    if (this.blocked) {
      this.record(name, "fail", `not run: ${this.blocked}`, 0);
      return false;
    }
    try {
      const detail = (await fn()) ?? "";
      this.record(name, "pass", detail, (performance.now() - started) / 1000);
      return true;
    } catch (err) {
      this.record(name, "fail", (err as Error).message, (performance.now() - started) / 1000);
      if (opts.gate) this.blocked = `"${name}" failed`;
      return false;
    }
  }

  count(status: Status): number {
    return this.results.filter((r) => r.status === status).length;
  }
}
