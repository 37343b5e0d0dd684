/**
 * The soak (issue 16): N sessions with the built-in agent on local (bubblewrap) sandboxes, talking to
 * a model with tool calls (test/support/soak-model.ts) through a real `lap up`, for a while, with LAP
 * SIGKILLed and restarted and a sandbox killed at random every so often. It counts what a user would
 * notice: lost or duplicated events, stuck sessions, turns neither finished nor said to be
 * interrupted; and samples LAP's RSS and open descriptors, PostgreSQL connections, and the sandboxes'
 * memory and CPU. `bench/soak/run.ts` prints and records it; `soak.test.ts` runs a short one.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import type { Subprocess } from "bun";
import { ChildOutput } from "../../test/support/child-output";
import { freshPostgresUrl } from "../../test/support/db";
import { killMarked, markedProcesses, withDescendants } from "../../test/support/processes";
import { startSoakModel } from "../../test/support/soak-model";

export interface SoakOptions {
  sessions: number;
  seconds: number;
  /** LAP SIGKILLs, spread over the run after the baseline phase. */
  lapKills: number;
  /** A random sandbox is SIGKILLed this often (0: never). */
  sandboxKillEverySeconds: number;
  /** The fault-free first part of the run (the same-run baseline), as a fraction. */
  baselineFraction?: number;
  database: "postgres" | "pglite";
  pieces?: number;
  pieceDelayMs?: number;
  log?: (line: string) => void;
}

interface Event {
  seq: number;
  type: string;
  data: Record<string, unknown>;
  turn_id: string | null;
}

export interface SoakResult {
  options: SoakOptions;
  phases: Array<{
    phase: string;
    sent: number;
    completed: number;
    interrupted: number;
    failed: number;
    unfinished: number;
    p50: number;
    p95: number;
  }>;
  events: number;
  /** Events out of seq order (holes are compacted deltas, not gaps). */
  gaps: number;
  duplicates: number;
  lost: number;
  recovered: number;
  stuckSessions: number;
  /** The errors that failed turns ended with (a failed turn is neither finished nor interrupted). */
  failures: string[];
  lapKills: number;
  sandboxKills: number;
  downtimeSeconds: number[];
  rssMb: { warm: number; end: number; max: number };
  fds: { warm: number; end: number; max: number };
  pgConnections: { max: number; end: number } | null;
  sandbox: { memoryMbAvg: number; cpuSecondsAvg: number };
  modelCalls: number;
  wallSeconds: number;
}

const KEY = "soak-master-key-0123456789";
const H = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
const pct = (xs: number[], p: number) =>
  xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]! : 0;

async function freePort() {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = s.port!;
  await s.stop(true);
  return port;
}

const procNumber = (pid: number, file: string, key: string) => {
  try {
    const line = readFileSync(`/proc/${pid}/${file}`, "utf8")
      .split("\n")
      .find((l) => l.startsWith(key));
    return line ? Number(line.split(/\s+/)[1]) : 0;
  } catch {
    return 0;
  }
};
const fdCount = (pid: number) => {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
};
const cpuSeconds = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
};

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const log = o.log ?? (() => {});
  const pieces = o.pieces ?? 8;
  const model = startSoakModel({ pieces, pieceDelayMs: o.pieceDelayMs ?? 150, toolSleepSeconds: 0.5 });
  const dataDir = mkdtempSync(join(tmpdir(), "lap-soak-"));
  const gateway = join(dataDir, "gateway.yaml");
  writeFileSync(
    gateway,
    `model_list:\n  - model_name: soak-model\n    litellm_params: { model: openai/soak-model, api_base: "${model.url}", api_key: sk-provider-soak }\n`,
  );
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    PORT: String(port),
    HOST: "127.0.0.1",
    LAP_DATA_DIR: dataDir,
    MASTER_KEY: KEY,
    LOG_LEVEL: "warn",
    LAP_GATEWAY_CONFIG: gateway,
    WARM_POOL_SIZE: "0",
    LAP_SANDBOX_ORPHAN_GRACE_SECONDS: "120",
  };
  let pg: Awaited<ReturnType<typeof freshPostgresUrl>> | null = null;
  let sql: ReturnType<typeof postgres> | null = null;
  if (o.database === "postgres") {
    pg = await freshPostgresUrl("lap_soak");
    env.DATABASE_URL = pg.url;
    sql = postgres(pg.url, { max: 1 });
  }
  let lap: Subprocess<"ignore", "ignore", "pipe"> | null = null;
  let lapStartedAt = 0;
  const sandboxDirs = () => readdirSync(join(dataDir, "run")).filter((n) => /^sbx_[0-9a-f]+$/.test(n));
  const startLap = async () => {
    lapStartedAt = Date.now();
    lap = Bun.spawn([process.execPath, "bin/lap.ts", "up"], {
      cwd: join(import.meta.dir, "../.."),
      env: { ...process.env, ...env },
      stdin: "ignore",
      stdout: "ignore",
      stderr: "pipe",
    });
    const stderr = new ChildOutput(lap.stderr);
    const until = Date.now() + 90_000;
    while (Date.now() < until) {
      if (
        await fetch(`${base}/health/readiness`).then(
          (r) => r.ok,
          () => false,
        )
      )
        return;
      if (lap.exitCode !== null) throw new Error(`LAP exited: ${await stderr.finished}`);
      await Bun.sleep(100);
    }
    throw new Error(`LAP did not become ready: ${stderr.text()}`);
  };
  /** An API call that waits out a LAP restart. */
  const api = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    for (;;) {
      try {
        const res = await fetch(`${base}${path}`, { method, headers: H, body: body === undefined ? undefined : JSON.stringify(body) });
        if (res.status >= 500) throw new Error(`LAP answered ${res.status}`);
        return { status: res.status, body: (await res.json()) as T };
      } catch {
        await Bun.sleep(300);
      }
    }
  };

  // Set once every session is ready: the run's clock starts then.
  let started = 0;
  let wallEnd = 0;
  let chaosFrom = 0;
  const turnTimes: Array<{ at: number; ms: number; outcome: string }> = [];
  const failures: string[] = [];
  const sentAt: number[] = [];
  const samples: Array<{
    t: number;
    lapStartedAt: number;
    rss: number;
    fds: number;
    pg: number | null;
    sandboxes: number;
    sandboxMemMb: number;
    sandboxCpuSeconds: number;
  }> = [];
  let lapKills = 0;
  let sandboxKills = 0;
  const downtime: number[] = [];
  try {
    await startLap();
    const agent = await api<{ id: string }>("POST", "/api/agents", {
      name: "soak",
      model: "soak-model",
      runtime_id: "rt_local_sandbox",
      harness: "builtin",
    });
    if (agent.status !== 201) throw new Error(`agent: ${JSON.stringify(agent.body)}`);
    const ids: string[] = [];
    for (let i = 0; i < o.sessions; i++)
      ids.push((await api<{ id: string }>("POST", "/api/sessions", { agent_id: agent.body.id })).body.id);
    for (const id of ids) while ((await api<{ status: string }>("GET", `/api/sessions/${id}`)).body.status !== "idle") await Bun.sleep(250);
    log(`${ids.length} sessions ready`);
    started = Date.now();
    wallEnd = started + o.seconds * 1000;
    chaosFrom = started + (o.baselineFraction ?? 0.3) * o.seconds * 1000;

    const seen = new Map<string, Event[]>(ids.map((id) => [id, []]));
    const poll = async (id: string) => {
      const list = seen.get(id)!;
      const after = list.at(-1)?.seq ?? 0;
      const r = await api<{ data: Event[] }>("GET", `/api/sessions/${id}/events?after=${after}&limit=500`);
      list.push(...(r.body.data ?? []));
      return list;
    };
    const drive = async (id: string) => {
      for (let n = 0; Date.now() < wallEnd; n++) {
        const t0 = Date.now();
        const r = await api<{ turn_id: string }>("POST", `/api/sessions/${id}/messages`, { text: `message ${n}` });
        if (r.status !== 202) {
          await Bun.sleep(500);
          continue;
        }
        sentAt.push(t0);
        const deadline = Date.now() + 180_000;
        let outcome = "unfinished";
        while (Date.now() < deadline) {
          const end = (await poll(id)).find(
            (e) =>
              e.turn_id === r.body.turn_id &&
              (e.type === "session.status_idle" ||
                (e.type === "session.error" && e.data.error && (e.data.error as { type?: string }).type !== "turn_lost")),
          );
          if (end) {
            outcome = end.type === "session.error" ? "failed" : String((end.data.stop_reason as { type?: string })?.type ?? "?");
            if (end.type === "session.error") failures.push(JSON.stringify(end.data.error).slice(0, 300));
            break;
          }
          await Bun.sleep(400);
        }
        turnTimes.push({ at: t0, ms: Date.now() - t0, outcome });
        if (outcome === "unfinished") return;
      }
    };
    const sample = async () => {
      const pid = lap?.exitCode === null ? lap.pid : 0;
      const sbx = [...new Set(markedProcesses(join(dataDir, "run", "sbx_")).flatMap(withDescendants))];
      const pgCount = sql
        ? Number(
            (await sql`select count(*)::int as n from pg_stat_activity where datname = current_database()`.catch(() => [{ n: -1 }]))[0]!.n,
          ) - 1
        : null;
      samples.push({
        t: Date.now(),
        lapStartedAt,
        rss: pid ? procNumber(pid, "status", "VmRSS:") / 1024 : 0,
        fds: pid ? fdCount(pid) : 0,
        pg: pgCount,
        sandboxes: sandboxDirs().length,
        sandboxMemMb: sbx.reduce((a, p) => a + procNumber(p, "status", "VmRSS:") / 1024, 0),
        sandboxCpuSeconds: sbx.reduce((a, p) => a + cpuSeconds(p), 0),
      });
    };
    const chaos = async () => {
      const killTimes = Array.from({ length: o.lapKills }, (_, i) => chaosFrom + ((i + 0.5) / o.lapKills) * (wallEnd - chaosFrom) * 0.8);
      let nextSandboxKill = chaosFrom + o.sandboxKillEverySeconds * 500;
      while (Date.now() < wallEnd) {
        if (killTimes.length && Date.now() >= killTimes[0]!) {
          killTimes.shift();
          const down = Date.now();
          lap!.kill("SIGKILL");
          await lap!.exited;
          lapKills++;
          log(`LAP SIGKILLed at ${Math.round((down - started) / 1000)} s`);
          await startLap();
          downtime.push((Date.now() - down) / 1000);
          log(`LAP back after ${downtime.at(-1)!.toFixed(1)} s`);
        }
        if (o.sandboxKillEverySeconds > 0 && Date.now() >= nextSandboxKill) {
          const dirs = sandboxDirs();
          const victim = dirs[Math.floor(Math.random() * dirs.length)];
          // No sandbox to kill right now (all being replaced): try again shortly.
          nextSandboxKill = Date.now() + 1_000;
          if (victim && killMarked(join(dataDir, "run", victim)).length) {
            sandboxKills++;
            nextSandboxKill = Date.now() + o.sandboxKillEverySeconds * 1000;
            log(`sandbox ${victim} SIGKILLed`);
          }
        }
        await Bun.sleep(250);
      }
    };
    const sampler = setInterval(() => void sample(), 5_000);
    await Promise.all([...ids.map(drive), chaos()]);
    clearInterval(sampler);
    // Settle: every session leaves running/recovering, or it is stuck.
    const settleUntil = Date.now() + 60_000;
    let stuck = ids.length;
    while (Date.now() < settleUntil) {
      const statuses = await Promise.all(ids.map(async (id) => (await api<{ status: string }>("GET", `/api/sessions/${id}`)).body.status));
      stuck = statuses.filter((s) => s === "running" || s === "recovering" || s === "creating").length;
      if (!stuck) break;
      await Bun.sleep(1_000);
    }
    await sample();

    // What the logs hold.
    let events = 0,
      gaps = 0,
      duplicates = 0,
      lost = 0,
      recovered = 0;
    for (const id of ids) {
      const list = await poll(id);
      events += list.length;
      // Seqs only grow: the log's holes are the deltas a stored message replaced (docs/sessions.md
      // "Messages and deltas"); lost text is counted from the pieces' numbers below.
      list.forEach((e, i) => (gaps += i === 0 || e.seq > list[i - 1]!.seq ? 0 : 1));
      recovered += list.filter((e) => e.type === "session.recovered").length;
      const positions = new Map<string, number[]>();
      const tokens = new Set<string>();
      for (const e of list) {
        if (e.type !== "agent.message") continue;
        for (const m of String((e.data.content as Array<{ text?: string }>)?.[0]?.text ?? "").matchAll(/r(\d+)\.(\d+)/g)) {
          if (tokens.has(m[0])) duplicates++;
          tokens.add(m[0]);
          positions.set(m[1]!, [...(positions.get(m[1]!) ?? []), Number(m[2])]);
        }
      }
      // A request's deltas are a prefix 0..k (a broken attempt stops early); a hole is a lost event.
      for (const ks of positions.values()) lost += Math.max(...ks) + 1 - new Set(ks).size;
      // A completed turn's last answer is whole.
      const byTurn = new Map<string, Event[]>();
      for (const e of list) if (e.turn_id) byTurn.set(e.turn_id, [...(byTurn.get(e.turn_id) ?? []), e]);
      for (const evs of byTurn.values()) {
        const end = evs.at(-1)!;
        if (end.type !== "session.status_idle" || (end.data.stop_reason as { type?: string })?.type !== "end_turn") continue;
        const lastText = evs.filter((e) => e.type === "agent.message" && /r\d+\./.test(JSON.stringify(e.data))).at(-1);
        const req = lastText ? /r(\d+)\./.exec(JSON.stringify(lastText.data))![1]! : null;
        if (req) lost += pieces - new Set(positions.get(req)).size;
      }
    }
    const phase = (name: string, from: number, to: number) => {
      const ts = turnTimes.filter((t) => t.at >= from && t.at < to);
      const ok = ts.filter((t) => t.outcome === "end_turn").map((t) => t.ms / 1000);
      return {
        phase: name,
        sent: ts.length,
        completed: ok.length,
        interrupted: ts.filter((t) => t.outcome === "interrupted").length,
        failed: ts.filter((t) => t.outcome === "failed").length,
        unfinished: ts.filter((t) => t.outcome === "unfinished").length,
        p50: pct(ok, 50),
        p95: pct(ok, 95),
      };
    };
    // The last LAP's figures: after its warm-up (samples from 20 s after its start), and at the end.
    const end = samples.at(-1)!;
    const lastLap = samples.filter((s) => s.rss > 0 && s.lapStartedAt === end.lapStartedAt && s.t > s.lapStartedAt + 20_000);
    const warm = lastLap[0] ?? end;
    const withSandboxes = samples.filter((s) => s.sandboxes > 0);
    return {
      options: o,
      phases: [phase("baseline (no faults)", started, chaosFrom), phase("with faults", chaosFrom, wallEnd + 1)],
      events,
      gaps,
      duplicates,
      lost,
      recovered,
      stuckSessions: stuck,
      failures,
      lapKills,
      sandboxKills,
      downtimeSeconds: downtime,
      rssMb: { warm: warm.rss, end: end.rss, max: Math.max(...lastLap.map((s) => s.rss), end.rss) },
      fds: { warm: warm.fds, end: end.fds, max: Math.max(...lastLap.map((s) => s.fds), end.fds) },
      pgConnections: sql ? { max: Math.max(...samples.map((s) => s.pg ?? 0)), end: end.pg ?? 0 } : null,
      // Per sandbox: its processes' RSS summed, averaged over the samples; CPU seconds of the live ones at the end.
      sandbox: {
        memoryMbAvg: withSandboxes.length ? withSandboxes.reduce((a, s) => a + s.sandboxMemMb / s.sandboxes, 0) / withSandboxes.length : 0,
        cpuSecondsAvg: end.sandboxes ? end.sandboxCpuSeconds / end.sandboxes : 0,
      },
      modelCalls: model.requests(),
      wallSeconds: (Date.now() - started) / 1000,
    };
  } finally {
    const l = lap as Subprocess | null;
    if (l && l.exitCode === null) {
      l.kill("SIGTERM");
      await l.exited;
    }
    killMarked(dataDir);
    await sql?.end();
    await model.stop();
    await pg?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
