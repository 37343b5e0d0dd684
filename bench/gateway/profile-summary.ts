/**
 * Summarizes a `bun --cpu-prof` profile by sample counts, not by `timeDeltas`: Bun's deltas include
 * the idle time before a sample, so summing them charges waiting to whatever ran next.
 * Prints the top functions by self samples and the top files/functions by inclusive samples.
 * Run: bun bench/gateway/profile-summary.ts FILE.cpuprofile [top=40] [window FROM-TO in epoch ms, as profile.ts prints] [filter]
 */
import { readFileSync } from "node:fs";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
}

const [file, topArg, windowArg, filter] = process.argv.slice(2);
const [fromMs, toMs] = (windowArg && windowArg !== "-" ? windowArg.split("-").map(Number) : [0, Infinity]) as [number, number];
if (!file) throw new Error("usage: profile-summary.ts FILE.cpuprofile [top] [filter]");
const top = Number(topArg ?? 40);
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const short = (url: string) =>
  url
    .replace(/^.*\/node_modules\//, "nm:")
    .replace(/^.*\/wt-[^/]+\//, "")
    .replace(/^.*\/main\//, "");
const label = (f: CallFrame) => `${f.functionName || "(anonymous)"} ${short(f.url)}:${f.lineNumber + 1}`;

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
const inclusiveFile = new Map<string, number>();
let total = 0;
let idle = 0;
let at = profile.startTime; // µs since the epoch
for (let i = 0; i < profile.samples.length; i++) {
  at += profile.timeDeltas[i] ?? 0;
  if (at / 1000 < fromMs || at / 1000 > toMs) continue;
  const id = profile.samples[i]!;
  const leaf = byId.get(id)!;
  if (leaf.callFrame.functionName === "(idle)") {
    idle++;
    continue;
  }
  total++;
  self.set(label(leaf.callFrame), (self.get(label(leaf.callFrame)) ?? 0) + 1);
  const seen = new Set<string>();
  const seenFile = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const f = byId.get(cur)!.callFrame;
    const l = label(f);
    if (!seen.has(l)) {
      seen.add(l);
      inclusive.set(l, (inclusive.get(l) ?? 0) + 1);
    }
    const u = short(f.url) || "(native)";
    if (!seenFile.has(u)) {
      seenFile.add(u);
      inclusiveFile.set(u, (inclusiveFile.get(u) ?? 0) + 1);
    }
  }
}
const pct = (n: number) => `${((n / total) * 100).toFixed(1).padStart(5)}%`;
const print = (title: string, m: Map<string, number>) => {
  console.log(`\n## ${title}`);
  [...m.entries()]
    .filter(([k]) => !filter || k.includes(filter))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .forEach(([k, v]) => console.log(`${pct(v)} ${String(v).padStart(6)}  ${k}`));
};
console.log(`${total} busy samples (${idle} idle samples left out)`);
print("self", self);
print("inclusive by function", inclusive);
print("inclusive by file", inclusiveFile);
