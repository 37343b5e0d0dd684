/**
 * Where the warm API path's first turn goes (NOTES.md "Warm create → first token through LAP's HTTP
 * API"): the same sessions as api-warm.ts, with every harness CLI process on the machine sampled from
 * /proc (start time, CPU, which sandbox's workspace it runs in), so a timeline shows whether the claimed
 * sandbox kept its pre-started CLI (started before the POST) or started one after the bind, and when the
 * pool's refill started the next one.
 * Run: HARNESS=opencode RUNS=2 bun bench/harness/api-warm-trace.ts   (NO_MCP=1: the agent without LAP's platform tools, so no MCP server;
 * SLOT_AGE_MS=70000: each warm slot waits that long before its session, past opencode's ~60 s MCP start timeout)
 */
import { readdirSync, readFileSync } from "node:fs";
import { startLapWithScriptedModel } from "../../test/support/lap-api.ts";
import { apiWarmFirstToken } from "./api-warm.ts";

const HARNESS = process.env.HARNESS ?? "opencode";
const RUNS = Number(process.env.RUNS ?? 2);
const CLI = process.env.CLI ?? HARNESS;
const TICK = 100; // USER_HZ on Linux
const bootMs = Number(/btime (\d+)/.exec(readFileSync("/proc/stat", "utf8"))![1]) * 1000;

interface Seen {
  pid: number;
  startMs: number;
  cpuMs: number;
  workspace: string;
  /** argv0 when last sampled: a process may rename itself (OpenClaw's `openclaw` → `openclaw-gateway`). */
  title: string;
  exitSeenMs?: number;
}

const read = (path: string) => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
};
const stat = (pid: number) => {
  const s = read(`/proc/${pid}/stat`);
  const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
  return s
    ? { ppid: Number(f[1]), cpuMs: ((Number(f[11]) + Number(f[12])) * 1000) / TICK, startMs: bootMs + (Number(f[19]) * 1000) / TICK }
    : null;
};
/** The workspace (ws_…) named by the process or its nearest ancestor: which sandbox it runs in. */
function workspaceOf(pid: number): string {
  for (let p = pid, hops = 0; p > 1 && hops < 12; hops++) {
    const m =
      /ws_[0-9a-f]{16}/.exec(read(`/proc/${p}/cmdline`).replaceAll("\0", " ")) ?? /ws_[0-9a-f]{16}/.exec(read(`/proc/${p}/environ`));
    if (m) return m[0];
    p = stat(p)?.ppid ?? 1;
  }
  return "?";
}

const seen = new Map<number, Seen>();
const sampler = setInterval(() => {
  const now = Date.now();
  const live = new Set<number>();
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!pid) continue;
    const argv0 = read(`/proc/${pid}/cmdline`).split("\0")[0] ?? "";
    // Once seen, a process is followed until it exits, whatever it renames itself to.
    if (!argv0.endsWith(`/${CLI}`) && argv0 !== CLI && !seen.has(pid)) continue;
    const st = stat(pid);
    if (!st) continue;
    live.add(pid);
    const s = seen.get(pid) ?? { pid, startMs: st.startMs, cpuMs: 0, workspace: workspaceOf(pid), title: argv0 };
    s.cpuMs = st.cpuMs;
    if (argv0) s.title = argv0;
    seen.set(pid, s);
  }
  for (const s of seen.values()) if (!live.has(s.pid) && !s.exitSeenMs) s.exitSeenMs = now;
}, 200);

const lap = await startLapWithScriptedModel({ WARM_POOL_SIZE: "1", WARM_POOL_MAX_PROVISIONING: "1" });
// Each sandbox's supervisor health (docs/sandboxes.md "Warm pool"): the pre-start's state, what the bind
// did with it (kept/restarted), and held gateway requests whose client gave up (which forbid keeping it).
const provider = lap.lap.sandboxes.provider();
const health = new Map<string, string>();
const transitions: string[] = [];
const healthPoll = setInterval(async () => {
  for (const h of await provider.list().catch(() => [])) {
    try {
      const conn = await provider.connect(h.id);
      const b = (await (await conn.fetch(`${conn.baseUrl}/health`, { signal: AbortSignal.timeout(2000) })).json()) as Record<
        string,
        unknown
      >;
      const line = JSON.stringify({ bound: b.bound, prepared: b.prepared, harness: b.harness, proxy: b.gateway_proxy });
      if (health.get(h.id) !== line) transitions.push(`${Date.now()} ${h.id} ${line}`);
      health.set(h.id, line);
    } catch {}
  }
}, 300);
try {
  const r = await apiWarmFirstToken(
    lap,
    HARNESS,
    RUNS,
    process.env.NO_MCP ? { platform_tools: false } : {},
    Number(process.env.SLOT_AGE_MS ?? 0),
  );
  await Bun.sleep(1000);
  clearInterval(sampler);
  const t0 = r.sentAt[0]!;
  const rel = (ms: number) => `${((ms - t0) / 1000).toFixed(2)} s`;
  console.log(`uptime: ${read("/proc/loadavg").trim()}`);
  console.log(`hits ${r.hits} misses ${r.misses}`);
  for (let i = 0; i < r.sentAt.length; i++) {
    const sent = r.sentAt[i]!;
    console.log(
      `session ${r.sessionIds[i]}: POST sent ${rel(sent)}, answered +${r.created[i]?.toFixed(0)} ms, running +${r.running[i]?.toFixed(0)} ms, first token +${r.firstToken[i]?.toFixed(0)} ms`,
    );
    const { body } = await lap.api<{ data: { type: string; created_at?: string; processed_at?: string }[] }>(
      "GET",
      `/api/sessions/${r.sessionIds[i]}/events?limit=50`,
    );
    for (const e of body.data ?? []) console.log(`    ${e.type} ${rel(Date.parse(e.processed_at ?? e.created_at ?? ""))}`);
  }
  console.log(`${CLI} processes (start, exit seen, CPU, workspace, last title):`);
  for (const s of [...seen.values()].sort((a, b) => a.startMs - b.startMs))
    console.log(
      `  pid ${s.pid} start ${rel(s.startMs)} exit ${s.exitSeenMs ? rel(s.exitSeenMs) : "-"} cpu ${s.cpuMs.toFixed(0)} ms ${s.workspace} ${s.title.split("/").at(-1)}`,
    );
  clearInterval(healthPoll);
  console.log("supervisor health transitions:");
  for (const t of transitions) {
    const [at, ...rest] = t.split(" ");
    console.log(`  ${rel(Number(at))} ${rest.join(" ")}`);
  }
  const rows = await lap.api<unknown>("GET", "/api/sandboxes");
  console.log(JSON.stringify(rows.body).slice(0, 3000));
} finally {
  clearInterval(sampler);
  clearInterval(healthPoll);
  await lap.stop();
}
