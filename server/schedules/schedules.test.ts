/**
 * /api/schedules: validation (400 naming the field, nothing stored), the next-runs preview,
 * pause/resume, run now with its history and cost, and who may see what (admin or owner).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { ManualClock } from "../../test/support/clock";
import { sessionHarness, type SessionHarness } from "../../test/support/session-harness";
import { makeTeam } from "../../test/support/teams";

const clock = new ManualClock("2025-01-06T08:00:00Z");
let h: SessionHarness;
let alice: string;
let bob: string;
/** The agent each user key made itself: a user key's schedule may only run its own agents. */
const ownAgents = new Map<string, string>();

/** A user key in a team of its own, and an agent of that team (on the harness's runtime). */
async function userWithAgent(label: string) {
  // A team key: a member of its own team, so each user key sees only its own (docs/security.md "Users, teams and roles").
  const team = await makeTeam(h.t, `team of ${label}`);
  const key = (await h.t.json("POST", "/api/keys", { body: { label, role: "user", team_id: team } })).body as {
    token: string;
    key: { id: string };
  };
  const agent = await h.t.json("POST", "/api/agents", {
    key: key.token,
    body: { name: `${label}-agent`, model: "claude-sonnet-4-5", runtime_id: h.runtimeId },
  });
  expect(agent.status).toBe(201);
  ownAgents.set(key.token, agent.body.id);
  return key;
}

beforeAll(async () => {
  h = await sessionHarness({ app: { clock } });
  alice = (await userWithAgent("alice")).token;
  bob = (await userWithAgent("bob")).token;
}, 60_000);
afterAll(async () => {
  await h?.close();
});
beforeEach(async () => {
  clock.set("2025-01-06T08:00:00Z");
  await h.t.database.query("delete from schedules");
});

const as = (key: string | undefined) => ({
  json: <T = any>(method: string, path: string, body?: unknown) =>
    h.t.json<T>(method, path, { ...(key === undefined ? {} : { key }), ...(body === undefined ? {} : { body }) }),
});
/** A valid schedule on an agent the caller may use (its own, for a user key). */
const validFor = (key: string | undefined) => ({ ...valid(), agent_id: (key && ownAgents.get(key)) || h.agentId });
const admin = as(undefined);
const valid = () => ({
  name: "standup",
  agent_id: h.agentId,
  cron: "0 9 * * MON-FRI",
  timezone: "Europe/Berlin",
  prompt: "Post the standup summary",
});
const stored = async () => (await h.t.database.query<{ n: number }>("select count(*)::int as n from schedules"))[0]!.n;

describe("validation", () => {
  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ["a missing name", { name: undefined }, "name", /required/],
    ["a missing agent", { agent_id: undefined }, "agent_id", /required/],
    ["a missing prompt", { prompt: undefined }, "prompt", /required/],
    ["a minute out of range", { cron: "61 * * * *" }, "cron", /minute/],
    ["six fields", { cron: "0 0 9 * * *" }, "cron", /5 fields/],
    ["a date that never comes", { cron: "0 0 30 2 *" }, "cron", /never/],
    ["an unknown time zone", { timezone: "Mars/Olympus_Mons" }, "timezone", /IANA/],
    ["an unknown session mode", { session_mode: "fork" }, "session_mode", /new or continue/],
    ["an unknown policy", { concurrency: "parallel" }, "concurrency", /skip or queue/],
    ["an unknown field", { every: "day" }, "every", /unknown/],
  ];
  for (const [what, patch, field, message] of cases) {
    test(`${what} is a 400 naming ${field}, and nothing is stored`, async () => {
      const body: Record<string, unknown> = { ...valid(), ...patch };
      for (const k of Object.keys(patch)) if (patch[k] === undefined) delete body[k];
      const res = await admin.json("POST", "/api/schedules", body);
      expect(res.status).toBe(400);
      const f = (res.body.error.fields as Array<{ field: string; message: string }>).find((x) => x.field === field);
      expect(f?.message).toMatch(message);
      expect(await stored()).toBe(0);
    });
  }

  test("an agent that does not exist is a 400 naming agent_id", async () => {
    const res = await admin.json("POST", "/api/schedules", { ...valid(), agent_id: "agt_nope" });
    expect(res.status).toBe(400);
    expect(res.body.error.fields).toEqual([{ field: "agent_id", message: "no agent with id agt_nope" }]);
    expect(await stored()).toBe(0);
  });

  test("a bad PATCH changes nothing", async () => {
    const s = (await admin.json("POST", "/api/schedules", valid())).body;
    const res = await admin.json("PATCH", `/api/schedules/${s.id}`, { cron: "every day", name: "renamed" });
    expect(res.status).toBe(400);
    expect(res.body.error.fields[0].field).toBe("cron");
    expect((await admin.json("GET", `/api/schedules/${s.id}`)).body).toMatchObject({ name: "standup", cron: "0 9 * * MON-FRI" });
  });
});

describe("schedules", () => {
  test("the preview lists the next slots in the time zone, and refuses a bad expression by field", async () => {
    const res = await admin.json(
      "GET",
      `/api/schedules/preview?cron=${encodeURIComponent("0 9 * * MON-FRI")}&timezone=America/New_York&count=3`,
    );
    expect(res.status).toBe(200);
    // 2025-01-06 is a Monday; 09:00 EST is 14:00Z.
    expect(res.body).toEqual({
      timezone: "America/New_York",
      next_runs: ["2025-01-06T14:00:00.000Z", "2025-01-07T14:00:00.000Z", "2025-01-08T14:00:00.000Z"],
    });
    const bad = await admin.json("GET", `/api/schedules/preview?cron=${encodeURIComponent("0 25 * * *")}`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields[0].field).toBe("cron");
  });

  test("create, change, pause, resume and delete; slots missed while paused are not owed", async () => {
    const created = await admin.json("POST", "/api/schedules", valid());
    expect(created.status).toBe(201);
    const s = created.body;
    expect(s).toMatchObject({
      status: "active",
      session_mode: "new",
      concurrency: "skip",
      catch_up: false,
      agent_name: "helper",
      timezone: "Europe/Berlin",
    });
    // Monday 09:00 CET is now: the next slot is strictly later, Tuesday's.
    expect(s.next_run_at).toBe("2025-01-07T08:00:00.000Z");
    expect(s.next_runs).toHaveLength(5);

    const changed = await admin.json("PATCH", `/api/schedules/${s.id}`, { cron: "30 12 * * *" });
    expect(changed.body.next_run_at).toBe("2025-01-06T11:30:00.000Z");

    const paused = await admin.json("POST", `/api/schedules/${s.id}/pause`);
    expect(paused.body).toMatchObject({ status: "paused", next_run_at: null });
    clock.set("2025-01-08T12:00:00Z");
    await h.t.services.scheduler.tick();
    expect((await admin.json("GET", `/api/schedules/${s.id}/runs`)).body.data).toEqual([]);
    const resumed = await admin.json("POST", `/api/schedules/${s.id}/resume`);
    expect(resumed.body).toMatchObject({ status: "active", next_run_at: "2025-01-09T11:30:00.000Z" });
    await h.t.services.scheduler.tick();
    expect((await admin.json("GET", `/api/schedules/${s.id}/runs`)).body.data).toEqual([]);

    expect((await admin.json("DELETE", `/api/schedules/${s.id}`)).status).toBe(200);
    expect((await admin.json("GET", `/api/schedules/${s.id}`)).status).toBe(404);
  });

  test("run now starts a session; the history links it with its outcome and the session's spend during the run", async () => {
    const s = (await admin.json("POST", "/api/schedules", valid())).body;
    const run = await admin.json("POST", `/api/schedules/${s.id}/run`);
    expect(run.status).toBe(202);
    expect(run.body).toMatchObject({ trigger: "manual", slot_at: null });
    // The answer is read after the commit: the dispatcher may already have started it.
    expect(["queued", "running"]).toContain(run.body.status);
    expect(run.body.session_id).toMatch(/^ses_/);
    await h.waitFor("run completes", async () => {
      await h.t.services.scheduler.tick();
      return (await admin.json("GET", `/api/schedules/${s.id}/runs`)).body.data[0].status === "completed";
    });
    // Two model calls during the run and one before it (another use of the session) in the gateway's log.
    const started = Date.parse(run.body.started_at);
    const spend = (id: string, at: number, usd: number) =>
      h.t.database.query(
        "insert into gateway_spend_logs (request_id, route, spend, status, session_id, start_time, end_time) values ($1, '/v1/messages', $2, 'success', $3, $4, $4)",
        [id, usd, run.body.session_id, new Date(at).toISOString()],
      );
    await spend("req_a", started + 1_000, 0.25);
    await spend("req_b", started + 2_000, 0.5);
    await spend("req_before", started - 3_600_000, 9);
    const [latest] = (await admin.json("GET", `/api/schedules/${s.id}/runs`)).body.data;
    expect(latest).toMatchObject({ status: "completed", session_id: run.body.session_id, cost_usd: 0.75 });
    expect((await admin.json("GET", `/api/schedules/${s.id}`)).body.last_run.id).toBe(run.body.id);
    expect((await admin.json("GET", `/api/sessions/${run.body.session_id}`)).body.title).toBe("standup (schedule)");
  }, 30_000);

  test("runs are paginated newest first", async () => {
    const s = (await admin.json("POST", "/api/schedules", { ...valid(), concurrency: "queue" })).body;
    await h.t.database.query(
      "insert into schedule_runs (id, schedule_id, slot_at, trigger, status, created_at) select 'run_' || i, $1, $2::timestamptz + i * interval '1 minute', 'schedule', 'skipped', now() + i * interval '1 second' from generate_series(1, 5) i",
      [s.id, "2025-01-01T00:00:00Z"],
    );
    const first = await admin.json("GET", `/api/schedules/${s.id}/runs?limit=2`);
    expect(first.body.data.map((r: { id: string }) => r.id)).toEqual(["run_5", "run_4"]);
    const second = await admin.json("GET", `/api/schedules/${s.id}/runs?limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body.data.map((r: { id: string }) => r.id)).toEqual(["run_3", "run_2"]);
    expect((await admin.json("GET", `/api/schedules/${s.id}/runs?cursor=nonsense`)).body.error.fields[0].field).toBe("cursor");
  });
});

describe("who may do what: admins everything, a user key its own schedules", () => {
  test("a user key sees and changes only what it created; others' schedules are 404 to it", async () => {
    const mine = await as(alice).json("POST", "/api/schedules", { ...validFor(alice), name: "alice's" });
    expect(mine.status).toBe(201);
    expect(mine.body.created_by).toBe("alice");
    const theirs = (await as(bob).json("POST", "/api/schedules", { ...validFor(bob), name: "bob's" })).body;
    const admins = (await admin.json("POST", "/api/schedules", { ...valid(), name: "admin's" })).body;

    expect((await as(alice).json("GET", "/api/schedules")).body.data.map((s: { name: string }) => s.name)).toEqual(["alice's"]);
    expect((await admin.json("GET", "/api/schedules")).body.data).toHaveLength(3);
    for (const other of [theirs, admins]) {
      for (const [method, path] of [
        ["GET", `/api/schedules/${other.id}`],
        ["PATCH", `/api/schedules/${other.id}`],
        ["DELETE", `/api/schedules/${other.id}`],
        ["POST", `/api/schedules/${other.id}/run`],
        ["POST", `/api/schedules/${other.id}/pause`],
        ["GET", `/api/schedules/${other.id}/runs`],
      ] as const) {
        const res = await as(alice).json(method, path, method === "PATCH" ? { name: "mine now" } : undefined);
        expect([method, path, res.status]).toEqual([method, path, 404]);
      }
    }
    expect((await admin.json("GET", `/api/schedules/${theirs.id}`)).body).toMatchObject({ name: "bob's", status: "active" });
    expect((await admin.json("PATCH", `/api/schedules/${mine.body.id}`, { name: "renamed by admin" })).status).toBe(200);
    expect((await h.t.json("GET", "/api/schedules", { key: null })).status).toBe(401);
    // Another's agent is answered like an unknown one, on create and on update; nothing is stored.
    const before = await stored();
    const foreign = await as(alice).json("POST", "/api/schedules", { ...valid(), name: "on the admin's agent" });
    expect([foreign.status, foreign.body.error.fields?.[0]?.field]).toEqual([400, "agent_id"]);
    expect((await as(alice).json("PATCH", `/api/schedules/${mine.body.id}`, { agent_id: h.agentId })).status).toBe(400);
    expect(await stored()).toBe(before);
  });

  test("a schedule whose key was revoked starts nothing more: its runs fail saying why", async () => {
    const carol = await userWithAgent("carol");
    const s = (await as(carol.token).json("POST", "/api/schedules", { ...validFor(carol.token), cron: "0 * * * *" })).body;
    expect((await admin.json("DELETE", `/api/keys/${carol.key.id}`)).status).toBeLessThan(300);
    const sessionsBefore = (await h.t.database.query<{ n: number }>("select count(*)::int as n from sessions"))[0]!.n;
    const manual = await admin.json("POST", `/api/schedules/${s.id}/run`);
    expect(manual.body).toMatchObject({
      status: "failed",
      error: "not started: the API key that created it was revoked",
      session_id: null,
    });
    clock.set("2025-01-06T09:00:10Z");
    await h.t.services.scheduler.tick();
    const runs = (await admin.json("GET", `/api/schedules/${s.id}/runs`)).body.data;
    expect(runs.map((r: { trigger: string; status: string }) => `${r.trigger}:${r.status}`)).toEqual(["schedule:failed", "manual:failed"]);
    expect((await h.t.database.query<{ n: number }>("select count(*)::int as n from sessions"))[0]!.n).toBe(sessionsBefore);
  });
});
