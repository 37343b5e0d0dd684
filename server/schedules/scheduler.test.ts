/**
 * The scheduler with an injected clock against the real sessions module (a fake Managed Agents
 * runtime stands for the remote agent): each slot fires once however often it ticks, DST changes,
 * slots missed while LAP was down, the concurrency policy, and a crash between claim and commit.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { echoReply, type FakeStep } from "../../test/support/fake-managed-agents";
import { ManualClock } from "../../test/support/clock";
import { sessionHarness, type SessionHarness } from "../../test/support/session-harness";
import { TurnDispatcher } from "../automation/dispatch";
import { createLogger } from "../lib/logger";
import { Scheduler } from "./scheduler";

const clock = new ManualClock("2025-01-06T08:00:00Z");
let h: SessionHarness;
let hold = false;
const held: FakeStep[] = [
  { event: { type: "session.status_running" } },
  { delay: 60_000 },
  { event: { type: "session.status_idle", stop_reason: { type: "end_turn" } } },
];

beforeAll(async () => {
  h = await sessionHarness({ app: { clock }, fake: { reply: (text) => (hold ? held : echoReply(text, 1)) } });
}, 60_000);
afterAll(async () => {
  await h?.close();
});
beforeEach(async () => {
  hold = false;
  await h.t.database.query("delete from schedules");
});

const scheduler = () => h.t.services.scheduler;
const api = <T = any>(method: string, path: string, body?: unknown) => h.t.json<T>(method, path, body === undefined ? {} : { body });

async function createSchedule(body: Record<string, unknown>) {
  const res = await api("POST", "/api/schedules", { name: "nightly", agent_id: h.agentId, prompt: "Summarize the day", ...body });
  expect(res.status).toBe(201);
  return res.body as { id: string; next_run_at: string };
}
const runs = async (id: string) => (await api<{ data: any[] }>("GET", `/api/schedules/${id}/runs?limit=200`)).body.data.reverse();
const sessionsOfAgent = async () =>
  (await h.t.database.query<{ id: string }>("select id from sessions where agent_id = $1", [h.agentId])).length;

/** Moves the clock from `from` to `to` in `stepMs` steps, ticking `ticksPerStep` times at each. */
async function walk(from: string, to: string, stepMs = 60_000, ticksPerStep = 1, afterStep?: () => Promise<void>) {
  for (let t = Date.parse(from); t <= Date.parse(to); t += stepMs) {
    clock.set(new Date(t));
    for (let i = 0; i < ticksPerStep; i++) await scheduler().tick();
    await afterStep?.();
  }
}

/** Waits (ticking) until no run of the schedule is waiting, queued or running. */
const settled = (scheduleId: string) => async () => {
  await h.waitFor("runs settled", async () => {
    await scheduler().tick();
    return (await runs(scheduleId)).every((r) => !["pending", "queued", "running"].includes(r.status));
  });
};

describe("each slot fires once", () => {
  test("ticking many times per minute fires every slot exactly once, each in its own session", async () => {
    clock.set("2025-01-06T08:00:30Z");
    const s = await createSchedule({ cron: "*/5 * * * *" });
    expect(s.next_run_at).toBe("2025-01-06T08:05:00.000Z");
    // Each run finishes before the next slot (concurrency "skip" would skip a slot whose previous run still goes).
    await walk("2025-01-06T08:00:30Z", "2025-01-06T08:21:30Z", 15_000, 3, settled(s.id));
    const list = await runs(s.id);
    expect(list.map((r) => r.slot_at)).toEqual(["08:05", "08:10", "08:15", "08:20"].map((m) => `2025-01-06T${m}:00.000Z`));
    expect(list.map((r) => `${r.trigger}:${r.status}`)).toEqual(Array(4).fill("schedule:completed"));
    expect(new Set(list.map((r) => r.session_id)).size).toBe(4);
    // The runs really ran: each session got the prompt and answered.
    const events = await h.events(list[0].session_id);
    expect(events.find((e) => e.type === "user.message")?.data.content).toEqual([{ type: "text", text: "Summarize the day" }]);
    expect(events.some((e) => e.type === "agent.message")).toBe(true);
  }, 60_000);

  test("a crash after the claim and before the commit leaves the slot due, and it fires once on the next tick", async () => {
    clock.set("2025-01-06T09:59:00Z");
    const s = await createSchedule({ cron: "0 10 * * *" });
    const before = await sessionsOfAgent();
    let crashes = 1;
    const crashing = new Scheduler({
      database: h.t.database,
      dispatcher: new TurnDispatcher(h.t.services.sessions.sessions),
      clock,
      log: createLogger("silent"),
      afterClaim: async () => {
        if (crashes-- > 0) throw new Error("process died");
      },
    });
    clock.set("2025-01-06T10:00:05Z");
    await crashing.tick();
    expect(await runs(s.id)).toEqual([]);
    expect(await sessionsOfAgent()).toBe(before);
    await crashing.tick();
    await scheduler().tick();
    const list = await runs(s.id);
    expect(list).toHaveLength(1);
    expect(list[0].slot_at).toBe("2025-01-06T10:00:00.000Z");
    expect(await sessionsOfAgent()).toBe(before + 1);
  }, 30_000);
});

describe("time zones and DST (croner, Vixie cron semantics)", () => {
  test("spring forward: a 02:30 slot that does not exist runs once, at 03:00 local, the same day", async () => {
    // Europe/Berlin, 2025-03-30: 02:00 CET jumps to 03:00 CEST (01:00Z).
    clock.set("2025-03-29T22:00:00Z");
    const s = await createSchedule({ cron: "30 2 * * *", timezone: "Europe/Berlin" });
    expect(s.next_run_at).toBe("2025-03-30T01:00:00.000Z");
    await walk("2025-03-29T22:00:00Z", "2025-03-30T04:00:00Z");
    const list = await runs(s.id);
    expect(list.map((r) => r.slot_at)).toEqual(["2025-03-30T01:00:00.000Z"]);
    // The next day is back to 02:30 CEST.
    expect((await api("GET", `/api/schedules/${s.id}`)).body.next_run_at).toBe("2025-03-31T00:30:00.000Z");
  }, 60_000);

  test("fall back: a 02:30 slot that happens twice runs once, at the first 02:30", async () => {
    // Europe/Berlin, 2025-10-26: 03:00 CEST goes back to 02:00 CET (01:00Z); 02:30 is 00:30Z and 01:30Z.
    clock.set("2025-10-25T22:00:00Z");
    const s = await createSchedule({ cron: "30 2 * * *", timezone: "Europe/Berlin" });
    await walk("2025-10-25T22:00:00Z", "2025-10-26T04:00:00Z");
    const list = await runs(s.id);
    expect(list.map((r) => r.slot_at)).toEqual(["2025-10-26T00:30:00.000Z"]);
    expect((await api("GET", `/api/schedules/${s.id}`)).body.next_run_at).toBe("2025-10-27T01:30:00.000Z");
  }, 60_000);

  test("an interval expression keeps its real-time rhythm through the repeated hour", async () => {
    clock.set("2025-10-26T00:10:00Z");
    const s = await createSchedule({ cron: "*/30 * * * *", timezone: "Europe/Berlin" });
    await walk("2025-10-26T00:10:00Z", "2025-10-26T02:10:00Z");
    const list = await runs(s.id);
    // Every 30 real minutes, the repeated 02:00-03:00 included: no slot twice, none lost.
    expect(list.map((r) => r.slot_at)).toEqual(["00:30", "01:00", "01:30", "02:00"].map((m) => `2025-10-26T${m}:00.000Z`));
  }, 60_000);
});

describe("slots missed while LAP was down", () => {
  test("catch_up: five missed hourly slots run once, for the latest, and the schedule carries on", async () => {
    clock.set("2025-01-07T06:30:00Z");
    const s = await createSchedule({ cron: "0 * * * *", catch_up: true });
    const before = await sessionsOfAgent();
    clock.set("2025-01-07T11:42:00Z"); // LAP was down from 06:30 to 11:42
    for (let i = 0; i < 3; i++) await scheduler().tick();
    let list = await runs(s.id);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ trigger: "catch_up", slot_at: "2025-01-07T11:00:00.000Z" });
    expect(await sessionsOfAgent()).toBe(before + 1);
    expect((await api("GET", `/api/schedules/${s.id}`)).body.next_run_at).toBe("2025-01-07T12:00:00.000Z");
    await walk("2025-01-07T12:00:00Z", "2025-01-07T12:01:00Z");
    list = await runs(s.id);
    expect(list.map((r) => `${r.trigger}@${r.slot_at}`)).toEqual([
      "catch_up@2025-01-07T11:00:00.000Z",
      "schedule@2025-01-07T12:00:00.000Z",
    ]);
  }, 30_000);

  test("no catch_up: the missed slots start nothing and one skipped run says why", async () => {
    clock.set("2025-01-07T06:30:00Z");
    const s = await createSchedule({ cron: "0 * * * *" });
    const before = await sessionsOfAgent();
    clock.set("2025-01-07T11:42:00Z");
    await scheduler().tick();
    await scheduler().tick();
    const list = await runs(s.id);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ status: "skipped", slot_at: "2025-01-07T11:00:00.000Z", session_id: null });
    expect(list[0].error).toContain("missed");
    expect(await sessionsOfAgent()).toBe(before);
  }, 30_000);
});

describe("concurrency policy", () => {
  async function runningTurn(runId: string, scheduleId: string) {
    return h.waitFor(`run ${runId} running`, async () => (await runs(scheduleId)).find((r) => r.id === runId && r.status === "running"));
  }

  test("skip: a slot whose previous run is still going is skipped", async () => {
    hold = true;
    clock.set("2025-01-08T07:59:30Z");
    const s = await createSchedule({ cron: "* * * * *", concurrency: "skip" });
    await walk("2025-01-08T08:00:00Z", "2025-01-08T08:00:00Z");
    const [first] = await runs(s.id);
    await runningTurn(first.id, s.id);
    await walk("2025-01-08T08:01:00Z", "2025-01-08T08:02:00Z");
    const list = await runs(s.id);
    expect(list.map((r) => r.status)).toEqual(["running", "skipped", "skipped"]);
    expect(list[1].error).toBe("the previous run was still going");
    await h.t.json("POST", `/api/sessions/${first.session_id}/interrupt`);
  }, 30_000);

  test("queue: one slot waits for the previous run and starts when it ends; a second one is skipped", async () => {
    hold = true;
    clock.set("2025-01-08T08:59:30Z");
    const s = await createSchedule({ cron: "* * * * *", concurrency: "queue" });
    await walk("2025-01-08T09:00:00Z", "2025-01-08T09:00:00Z");
    const [first] = await runs(s.id);
    await runningTurn(first.id, s.id);
    await walk("2025-01-08T09:01:00Z", "2025-01-08T09:02:00Z");
    let list = await runs(s.id);
    expect(list.map((r) => r.status)).toEqual(["running", "pending", "skipped"]);
    expect(list[2].error).toBe("another run was already waiting for the previous one");
    // "Run now" obeys the policy too: nothing more may wait.
    expect((await api("POST", `/api/schedules/${s.id}/run`)).status).toBe(409);
    hold = false;
    await h.t.json("POST", `/api/sessions/${first.session_id}/interrupt`);
    list = await h.waitFor("the waiting run starts", async () => {
      await scheduler().tick();
      const l = await runs(s.id);
      return l[1].session_id ? l : undefined;
    });
    expect(list[0].status).toBe("interrupted");
    await h.waitFor("the waiting run completes", async () => {
      await scheduler().tick();
      return (await runs(s.id))[1].status === "completed";
    });
  }, 30_000);

  test("continue: runs talk to one session, and a stopped session is replaced by a new one", async () => {
    clock.set("2025-01-09T07:59:30Z");
    const s = await createSchedule({ cron: "* * * * *", session_mode: "continue", concurrency: "queue" });
    await walk("2025-01-09T08:00:00Z", "2025-01-09T08:00:00Z");
    await h.waitFor("first run done", async () => (await scheduler().tick(), (await runs(s.id))[0].status === "completed"));
    await walk("2025-01-09T08:01:00Z", "2025-01-09T08:01:00Z");
    let list = await runs(s.id);
    expect(list[1].session_id).toBe(list[0].session_id);
    await h.waitFor("second run done", async () => (await scheduler().tick(), (await runs(s.id))[1].status === "completed"));
    expect((await h.events(list[0].session_id)).filter((e) => e.type === "user.message")).toHaveLength(2);
    await h.t.json("POST", `/api/sessions/${list[0].session_id}/stop`);
    await walk("2025-01-09T08:02:00Z", "2025-01-09T08:02:00Z");
    list = await runs(s.id);
    expect(list[2].session_id).not.toBe(list[0].session_id);
    expect((await api("GET", `/api/schedules/${s.id}`)).body.session_id).toBe(list[2].session_id);
  }, 30_000);

  test("a paused agent fails the run with the reason, and the slot is not tried again", async () => {
    clock.set("2025-01-10T07:59:30Z");
    const s = await createSchedule({ cron: "0 8 * * *" });
    await h.t.json("POST", `/api/agents/${h.agentId}/pause`);
    try {
      await walk("2025-01-10T08:00:00Z", "2025-01-10T08:03:00Z");
    } finally {
      await h.t.json("POST", `/api/agents/${h.agentId}/resume`);
    }
    const list = await runs(s.id);
    expect(list).toHaveLength(1);
    expect(list[0].status).toBe("failed");
    expect(list[0].error).toContain("paused");
  }, 30_000);
});
