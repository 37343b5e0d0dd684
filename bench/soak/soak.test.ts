/**
 * The short soak in `npm test` (issue 16; the full one is `bun bench/soak/run.ts`): three sessions
 * with the built-in agent on local sandboxes and a tool-calling model for 45 s, LAP SIGKILLed and
 * restarted once, a sandbox killed every 15 s. Nothing lost or duplicated, no session stuck, every
 * turn finished or said to be interrupted.
 */
import { expect } from "bun:test";
import { TEST_DB_DRIVER } from "../../test/support/db";
import { BWRAP_MISSING, requires } from "../../test/support/skip";
import { runSoak } from "./soak";

requires(BWRAP_MISSING).test(
  "short soak: LAP and sandboxes killed under load, no event lost or duplicated, no session stuck, every turn finished or interrupted",
  async () => {
    const r = await runSoak({
      sessions: 3,
      seconds: 45,
      lapKills: 1,
      sandboxKillEverySeconds: 15,
      database: TEST_DB_DRIVER,
      pieces: 6,
      pieceDelayMs: 120,
    });
    const summary = JSON.stringify({ ...r, options: undefined });
    expect(r.lapKills, summary).toBe(1);
    expect(r.sandboxKills, summary).toBeGreaterThanOrEqual(1);
    expect({ gaps: r.gaps, duplicates: r.duplicates, lost: r.lost, stuck: r.stuckSessions }, summary).toEqual({
      gaps: 0,
      duplicates: 0,
      lost: 0,
      stuck: 0,
    });
    for (const p of r.phases) {
      expect({ phase: p.phase, failed: p.failed, unfinished: p.unfinished }, summary).toEqual({ phase: p.phase, failed: 0, unfinished: 0 });
      expect(p.completed, summary).toBeGreaterThan(0);
      expect(p.completed + p.interrupted, summary).toBe(p.sent);
    }
  },
  300_000,
);
