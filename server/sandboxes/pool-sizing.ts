/**
 * How many warm sandboxes each agent gets (docs/sandboxes.md "Warm pool"): every agent with a session
 * in the last WARM_POOL_RECENT_AGENT_HOURS gets one, and an agent starting sessions in bursts gets as
 * many as it started in the last DEMAND_WINDOW_MINUTES (the next burst is likely as big), newest agents
 * first. WARM_POOL_SIZE caps the total, and LAP_WARM_POOL_MAX_MEMORY_MB caps what the warm sandboxes
 * may hold, measured from their cgroups (or their processes' RSS where LAP cannot make cgroups).
 */
import { readFileSync, readdirSync } from "node:fs";
import type { SandboxSessionsPort } from "./ports";

/** Sessions started within this many minutes count as an agent's current demand. */
export const DEMAND_WINDOW_MINUTES = 10;

export interface AgentDemand {
  agentId: string;
  /** Sessions the agent started in the demand window. */
  recent: number;
}

/**
 * Per-agent targets within `size` slots: one each in the given order (most recently used first), then
 * a second, third… slot to each agent whose demand asks for it, in the same order, until `size`.
 */
export function poolTargets(demand: AgentDemand[], size: number): Map<string, number> {
  const targets = new Map<string, number>();
  let left = size;
  for (let round = 1; left > 0; round++) {
    let grew = false;
    for (const d of demand) {
      if (left <= 0) break;
      if (round > 1 && d.recent < round) continue;
      targets.set(d.agentId, round);
      left--;
      grew = true;
    }
    if (!grew) break;
  }
  return targets;
}

export interface MemoryBudget {
  /** LAP_WARM_POOL_MAX_MEMORY_MB in bytes; 0: no ceiling. */
  ceilingBytes: number;
  /** What the warm (and starting) sandboxes hold now. */
  usedBytes: number;
  /** What one more is expected to take: the largest warm one measured, else a first guess. */
  perSandboxBytes: number;
}

/** How many more warm sandboxes fit under the ceiling (Infinity without one). */
export function memoryRoom(b: MemoryBudget): number {
  if (b.ceilingBytes <= 0) return Number.POSITIVE_INFINITY;
  return Math.max(0, Math.floor((b.ceilingBytes - b.usedBytes) / Math.max(1, b.perSandboxBytes)));
}

/** A first guess for a sandbox never measured: the supervisor and a harness CLI, about 300 MB. */
export const FIRST_GUESS_BYTES = 300 * 1024 * 1024;

/** A sandbox's memory: its cgroup's when LAP made one, else the RSS of its process tree (/proc). */
export function sandboxMemoryBytes(info: Record<string, unknown>): number | null {
  if (typeof info.memoryBytes === "number") return info.memoryBytes;
  return typeof info.pid === "number" ? treeRssBytes(info.pid) : null;
}

const PAGE = 4096;

/** Resident memory of a process and everything under it (0 when it is gone). */
export function treeRssBytes(root: number): number {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync("/proc").filter((n) => /^\d+$/.test(n));
  } catch {
    return 0;
  }
  for (const name of entries) {
    try {
      // The ppid is the 2nd field after the parenthesised command name (which may hold spaces).
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {}
  }
  let total = 0;
  const queue = [root];
  while (queue.length) {
    const pid = queue.pop()!;
    try {
      total += Number(readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]) * PAGE;
    } catch {}
    queue.push(...(children.get(pid) ?? []));
  }
  return total;
}

/**
 * Agents with a session in the last `recentHours` (active ones), most recently used first, with how
 * many sessions each started in the last DEMAND_WINDOW_MINUTES; at most `limit`.
 */
export function agentDemand(
  sessions: Pick<SandboxSessionsPort, "agentDemand">,
  now: Date,
  recentHours: number,
  limit: number,
): Promise<AgentDemand[]> {
  const since = new Date(now.getTime() - recentHours * 3_600_000);
  const window = new Date(now.getTime() - DEMAND_WINDOW_MINUTES * 60_000);
  return sessions.agentDemand(since, window, limit);
}
