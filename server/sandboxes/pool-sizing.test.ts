/** The warm pool's sizing rules (pool-sizing.ts) as pure functions, and the RSS fallback on a real process tree. */
import { expect, test } from "bun:test";
import { FIRST_GUESS_BYTES, memoryRoom, poolTargets, sandboxMemoryBytes, treeRssBytes } from "./pool-sizing";

test("every recent agent gets one slot first, most recent first; bursts get more, within the size", () => {
  const demand = [
    { agentId: "a", recent: 3 },
    { agentId: "b", recent: 0 },
    { agentId: "c", recent: 2 },
  ];
  expect([...poolTargets(demand, 6)]).toEqual([
    ["a", 3],
    ["b", 1],
    ["c", 2],
  ]);
  // Short of slots: first ones go in order, then the burst.
  expect([...poolTargets(demand, 4)]).toEqual([
    ["a", 2],
    ["b", 1],
    ["c", 1],
  ]);
  expect([...poolTargets(demand, 2)]).toEqual([
    ["a", 1],
    ["b", 1],
  ]);
  // No more than demand asks for, however large the pool may be.
  expect([...poolTargets(demand, 100)].reduce((n, [, t]) => n + t, 0)).toBe(6);
  expect(poolTargets(demand, 0).size).toBe(0);
  expect(poolTargets([], 5).size).toBe(0);
});

test("the memory ceiling: no ceiling is unlimited; otherwise what fits after what is held", () => {
  const mb = 1024 * 1024;
  expect(memoryRoom({ ceilingBytes: 0, usedBytes: 10_000 * mb, perSandboxBytes: mb })).toBe(Number.POSITIVE_INFINITY);
  expect(memoryRoom({ ceilingBytes: 1000 * mb, usedBytes: 400 * mb, perSandboxBytes: 300 * mb })).toBe(2);
  expect(memoryRoom({ ceilingBytes: 1000 * mb, usedBytes: 1200 * mb, perSandboxBytes: 300 * mb })).toBe(0);
  expect(memoryRoom({ ceilingBytes: 1 * mb, usedBytes: 0, perSandboxBytes: FIRST_GUESS_BYTES })).toBe(0);
});

test("a sandbox's memory is its cgroup's when there is one, else its process tree's RSS", async () => {
  expect(sandboxMemoryBytes({ memoryBytes: 123, pid: process.pid })).toBe(123);
  // A parent holding a child that holds ~64 MB: the tree counts both.
  const child = Bun.spawn(
    [process.execPath, "-e", "const b = Buffer.alloc(64 * 1024 * 1024, 1); console.log('ready'); setInterval(() => b[0]++, 1000)"],
    { stdout: "pipe" },
  );
  try {
    // Measured once the child has written its 64 MB (a fixed sleep was too short on a loaded machine).
    await child.stdout.getReader().read();
    const own = treeRssBytes(child.pid);
    expect(own).toBeGreaterThan(60 * 1024 * 1024);
    expect(sandboxMemoryBytes({ pid: process.pid })!).toBeGreaterThan(own);
    expect(sandboxMemoryBytes({})).toBeNull();
  } finally {
    child.kill();
  }
  expect(treeRssBytes(2 ** 22 + 12345)).toBe(0);
});
