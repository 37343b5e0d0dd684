import { cpus, totalmem } from "node:os";
import { execSync } from "node:child_process";

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

/** The machine a result was measured on, for the committed RESULTS.md. */
export function machine(): string {
  const kernel = execSync("uname -srm").toString().trim();
  return `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${kernel}, Bun ${Bun.version}`;
}

export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(headers), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map((r) => line(r.map(String)))].join("\n");
}

/**
 * A measured statement about how busy the machine was (load average against its cores), for results
 * whose wall-clock figures move with load; empty when the load stayed below the core count.
 */
export function loadNote(loads: number[]): string {
  const cores = cpus().length;
  const peak = Math.max(...loads);
  return peak > cores
    ? `The 1-minute load average reached ${peak.toFixed(1)} on ${cores} cores during this run: other work shared the machine, so wall-clock latencies and throughput move between runs.`
    : "";
}
