/**
 * The soak of issue 16 (bench/soak/soak.ts): N sessions with the built-in agent on local sandboxes,
 * a model with tool calls, LAP SIGKILLed and restarted, a sandbox killed at random. The first 30 %
 * of the run has no faults and is the same-run baseline for turn times.
 *
 *   bun bench/soak/run.ts [--sessions 10] [--minutes 3] [--lap-kills 1] [--sandbox-kill-every 45] [--db postgres|pglite]
 *
 * Writes bench/soak/RESULTS.md. The full soak (50 sessions, 30 minutes, --lap-kills 2) is for a
 * quiet machine with the cores and memory for 50 sandboxes.
 */
import { cpus, freemem, totalmem } from "node:os";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runSoak, type SoakResult } from "./soak";

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
};
const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

const options = {
  sessions: Number(arg("sessions", "10")),
  seconds: Number(arg("minutes", "3")) * 60,
  lapKills: Number(arg("lap-kills", "1")),
  sandboxKillEverySeconds: Number(arg("sandbox-kill-every", "45")),
  database: arg("db", "postgres") as "postgres" | "pglite",
  log: (l: string) => console.log(`  ${l}`),
};
const loadBefore = load();
const r: SoakResult = await runSoak(options);
const loadAfter = load();
const f = (n: number, d = 1) => n.toFixed(d);

const lines = [
  "# Soak results",
  "",
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${f(totalmem() / 2 ** 30)} GiB RAM (${f(freemem() / 2 ** 30)} GiB free at the end); load average (1, 5, 15 min) ${loadBefore} before, ${loadAfter} after.`,
  `Run: ${r.options.sessions} sessions, ${f(r.options.seconds / 60)} min (${f(r.wallSeconds, 0)} s wall with the settle), database ${r.options.database}, LAP SIGKILLed ${r.lapKills}× (back after ${r.downtimeSeconds.map((s) => `${f(s)} s`).join(", ") || "-"}), ${r.sandboxKills} sandbox(es) SIGKILLed; \`bun bench/soak/run.ts --sessions ${r.options.sessions} --minutes ${f(r.options.seconds / 60)} --lap-kills ${r.options.lapKills} --sandbox-kill-every ${r.options.sandboxKillEverySeconds} --db ${r.options.database}\`.`,
  "",
  "## Turns (baseline: the fault-free first 30 % of the same run)",
  "",
  "| phase | sent | completed (end_turn) | interrupted (said so) | failed | unfinished | p50 turn | p95 turn |",
  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ...r.phases.map(
    (p) => `| ${p.phase} | ${p.sent} | ${p.completed} | ${p.interrupted} | ${p.failed} | ${p.unfinished} | ${f(p.p50)} s | ${f(p.p95)} s |`,
  ),
  "",
  "## Event log",
  "",
  "| events | out of seq order | duplicated | lost | session.recovered | stuck sessions after 60 s settle |",
  "| ---: | ---: | ---: | ---: | ---: | ---: |",
  `| ${r.events} | ${r.gaps} | ${r.duplicates} | ${r.lost} | ${r.recovered} | ${r.stuckSessions} |`,
  "",
  "## Resources (LAP: the last LAP process, after a 20 s warm-up, and at the end)",
  "",
  "| what | warm | end | max |",
  "| --- | ---: | ---: | ---: |",
  `| LAP RSS | ${f(r.rssMb.warm)} MB | ${f(r.rssMb.end)} MB | ${f(r.rssMb.max)} MB |`,
  `| LAP open descriptors | ${r.fds.warm} | ${r.fds.end} | ${r.fds.max} |`,
  r.pgConnections
    ? `| PostgreSQL connections (LAP's) | | ${r.pgConnections.end} | ${r.pgConnections.max} |`
    : "| PostgreSQL connections | n/a (PGlite) | | |",
  `| memory per sandbox (its processes' RSS) | | ${f(r.sandbox.memoryMbAvg)} MB avg | |`,
  `| CPU per live sandbox at the end | | ${f(r.sandbox.cpuSecondsAvg)} s | |`,
  `| model (gateway) calls | | ${r.modelCalls} (${f(r.modelCalls / r.wallSeconds, 2)}/s) | |`,
  `| events stored | | ${r.events} (${f(r.events / r.wallSeconds, 2)}/s) | |`,
  "",
];
writeFileSync(join(import.meta.dir, "RESULTS.md"), lines.join("\n"));
console.log(lines.join("\n"));
