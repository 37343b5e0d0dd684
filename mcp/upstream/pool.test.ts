import { describe, expect, test } from "bun:test";
import { UpstreamPool } from "./pool";
import type { UpstreamListener, UpstreamSpec } from "./connection";
import { processLauncher } from "./launcher";

/** Pool bookkeeping (no upstream is started: connections connect lazily). */
const spec = (key: string, fingerprint = "f1"): UpstreamSpec => ({
  key,
  fingerprint,
  serverId: key.split("|")[0]!,
  serverName: "s",
  timeoutMs: 1000,
  connectTimeoutMs: 1000,
  transport: "streamable-http",
  url: "http://127.0.0.1:9/mcp",
  headers: {},
});
const listener = (): UpstreamListener & { changed: number } => {
  const l = { changed: 0, onListChanged: () => void l.changed++, onLog: () => {}, onResourceUpdated: () => {} };
  return l;
};

describe("upstream pool", () => {
  test("same key and settings share one connection; changed settings replace it and tell listeners", () => {
    const pool = new UpstreamPool(processLauncher());
    const a = pool.get(spec("srv|alice"));
    expect(pool.get(spec("srv|alice"))).toBe(a);
    expect(pool.get(spec("srv|bob"))).not.toBe(a);
    const l = listener();
    a.listeners.add(l);
    const replaced = pool.get(spec("srv|alice", "f2"));
    expect(replaced).not.toBe(a);
    expect(a.state).toBe("closed");
    expect(l.changed).toBe(1);
  });

  test("idle connections without listening sessions are evicted; in-use ones stay", async () => {
    let now = 0;
    const pool = new UpstreamPool(processLauncher(), { now: () => now });
    const idle = pool.get(spec("srv|alice"));
    const watched = pool.get(spec("srv|bob"));
    watched.listeners.add(listener());
    now = 10_000;
    const fresh = pool.get(spec("srv|carol"));
    expect(await pool.evictIdle(5_000)).toBe(1);
    expect(idle.state).toBe("closed");
    expect(pool.ofServer("srv")).toEqual([watched, fresh]);
    expect(pool.get(spec("srv|alice"))).not.toBe(idle);
  });
});
