/**
 * Webhook triggers end to end against the real sessions module (a fake Managed Agents runtime
 * stands for the agent): the management API with its validation and owner scoping, and the public
 * POST /api/triggers/:id: signature, replay window, idempotency, body to prompt, size caps.
 * Every refusal is checked to have written nothing.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { ManualClock } from "../../test/support/clock";
import { sessionHarness, type SessionHarness } from "../../test/support/session-harness";
import { makeTeam } from "../../test/support/teams";
import { webhookHeaders } from "../../test/support/webhook-signing";

const clock = new ManualClock("2025-05-05T12:00:00Z");
let h: SessionHarness;
let alice: string;
/** Agents the user keys made themselves: a user key's trigger may only run its own agents. */
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
  return key as { token: string; key: { id: string } };
}

beforeAll(async () => {
  h = await sessionHarness({ app: { clock } });
  alice = (await userWithAgent("alice")).token;
}, 60_000);
afterAll(async () => {
  await h?.close();
});
beforeEach(async () => {
  clock.set("2025-05-05T12:00:00Z");
  await h.t.database.query("delete from triggers");
});

const counts = async () => {
  const [r] = await h.t.database.query<{ deliveries: number; sessions: number; triggers: number }>(
    "select (select count(*)::int from trigger_deliveries) as deliveries, (select count(*)::int from sessions) as sessions, (select count(*)::int from triggers) as triggers",
  );
  return r!;
};

async function createTrigger(body: Record<string, unknown> = {}, key?: string) {
  const agentId = (key && ownAgents.get(key)) || h.agentId;
  const res = await h.t.json("POST", "/api/triggers", {
    ...(key ? { key } : {}),
    body: { name: "issues", agent_id: agentId, prompt_template: "Triage issue #{{body.issue.number}}: {{body.issue.title}}", ...body },
  });
  expect(res.status).toBe(201);
  return res.body as { trigger: { id: string; url: string }; secret: string };
}

/** Sends a webhook as a sender would: signed with `secret` at the clock's time unless told otherwise. */
function deliver(id: string, secret: string, body: unknown, opts: { at?: Date; headers?: Record<string, string>; raw?: string } = {}) {
  const raw = opts.raw ?? JSON.stringify(body);
  return h.t.json("POST", `/api/triggers/${id}`, {
    key: null,
    body: raw,
    headers: { ...webhookHeaders(secret, raw, opts.at ?? clock.now()), ...opts.headers },
  });
}

const issue = { action: "opened", issue: { number: 7, title: "Login fails on Safari" } };

describe("managing triggers", () => {
  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ["no name", { name: "" }, "name", /required/],
    ["an expression in a placeholder", { prompt_template: "Do {{ body.a + 1 }}" }, "prompt_template", /not a placeholder/],
    ["a placeholder outside the body", { prompt_template: "{{process.env.MASTER_KEY}}" }, "prompt_template", /not a placeholder/],
    ["a loopback callback", { callback_url: "https://127.0.0.1:8080/hook" }, "callback_url", /non-public/],
    ["a metadata-address callback", { callback_url: "https://169.254.169.254/latest" }, "callback_url", /link-local/],
    ["a callback to localhost", { callback_url: "https://localhost/hook" }, "callback_url", /this machine/],
    ["a plain-http callback", { callback_url: "http://hooks.example.com/x" }, "callback_url", /https/],
    ["credentials in the callback", { callback_url: "https://user:pw@hooks.example.com/x" }, "callback_url", /password/],
    ["a non-http callback", { callback_url: "ftp://hooks.example.com/x" }, "callback_url", /http/],
    ["an unknown agent", { agent_id: "agt_missing" }, "agent_id", /no agent/],
    ["an unknown field", { secret: "mine" }, "secret", /unknown/],
  ];
  for (const [what, patch, field, message] of cases) {
    test(`${what} is a 400 naming ${field}, and nothing is stored`, async () => {
      const res = await h.t.json("POST", "/api/triggers", {
        body: { name: "t", agent_id: h.agentId, prompt_template: "Hi {{body.x}}", ...patch },
      });
      expect(res.status).toBe(400);
      expect((res.body.error.fields as Array<{ field: string; message: string }>).find((f) => f.field === field)?.message).toMatch(message);
      expect((await counts()).triggers).toBe(0);
    });
  }

  test("the secret is answered once, sealed at rest, and never shown again", async () => {
    const { trigger, secret } = await createTrigger();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{40,}$/);
    expect(trigger.url).toMatch(new RegExp(`/api/triggers/${trigger.id}$`));
    const [row] = await h.t.database.query<{ secret_sealed: string }>("select secret_sealed from triggers where id = $1", [trigger.id]);
    expect(row!.secret_sealed).toStartWith("v1.");
    expect(row!.secret_sealed).not.toContain(secret.slice(6));
    for (const path of ["/api/triggers", `/api/triggers/${trigger.id}`, `/api/triggers/${trigger.id}/deliveries`]) {
      expect(JSON.stringify((await h.t.json("GET", path)).body)).not.toContain(secret);
    }
  });

  test("the management routes need a key; a user key sees only its own triggers", async () => {
    expect((await h.t.json("GET", "/api/triggers", { key: null })).status).toBe(401);
    expect(
      (await h.t.json("POST", "/api/triggers", { key: null, body: { name: "x", agent_id: h.agentId, prompt_template: "x" } })).status,
    ).toBe(401);
    const admins = await createTrigger({ name: "admin's" });
    const own = await createTrigger({ name: "alice's" }, alice);
    expect((await h.t.json("GET", "/api/triggers", { key: alice })).body.data.map((t: { name: string }) => t.name)).toEqual(["alice's"]);
    for (const [method, path] of [
      ["GET", `/api/triggers/${admins.trigger.id}`],
      ["DELETE", `/api/triggers/${admins.trigger.id}`],
      ["POST", `/api/triggers/${admins.trigger.id}/rotate-secret`],
      ["GET", `/api/triggers/${admins.trigger.id}/deliveries`],
    ] as const) {
      expect([path, (await h.t.json(method, path, { key: alice })).status]).toEqual([path, 404]);
    }
    expect((await h.t.json("GET", `/api/triggers/${own.trigger.id}`, { key: alice })).status).toBe(200);
    expect((await h.t.json("GET", "/api/triggers")).body.data).toHaveLength(2);
    // A user key may not point a trigger at an agent it does not own: answered like an unknown agent.
    const before = await counts();
    const foreign = await h.t.json("POST", "/api/triggers", { key: alice, body: { name: "x", agent_id: h.agentId, prompt_template: "x" } });
    expect([foreign.status, foreign.body.error.fields?.[0]?.field]).toEqual([400, "agent_id"]);
    expect((await h.t.json("PATCH", `/api/triggers/${own.trigger.id}`, { key: alice, body: { agent_id: h.agentId } })).status).toBe(400);
    expect(await counts()).toEqual(before);
  });
});

describe("POST /api/triggers/:id", () => {
  test("a signed webhook answers 202 with its session, whose prompt is the rendered template; the turn runs", async () => {
    const { trigger, secret } = await createTrigger();
    const res = await deliver(trigger.id, secret, issue);
    expect(res.status).toBe(202);
    expect(Object.keys(res.body).sort()).toEqual(["delivery_id", "replayed", "session_id", "turn_id"]);
    expect(res.body.replayed).toBe(false);
    expect([res.body.session_id, res.body.turn_id, res.body.delivery_id].map((id: string) => id.split("_")[0])).toEqual([
      "ses",
      "turn",
      "dlv",
    ]);
    const user = await h.waitForEvent(res.body.session_id, (e) => e.type === "user.message");
    expect(user.data.content).toEqual([{ type: "text", text: "Triage issue #7: Login fails on Safari" }]);
    const d = await h.waitFor("the delivery completed", async () => {
      await h.t.services.triggerCallbacks.tick();
      const [latest] = (await h.t.json("GET", `/api/triggers/${trigger.id}/deliveries`)).body.data;
      return latest.status === "completed" ? latest : undefined;
    });
    expect(d).toMatchObject({ id: res.body.delivery_id, status: "completed", session_id: res.body.session_id, callback_status: "none" });
    expect((await h.t.json("GET", `/api/triggers/${trigger.id}`)).body.last_delivery_at).not.toBeNull();
  }, 30_000);

  test("a bad, missing, foreign or stale signature is a 401 and changes nothing", async () => {
    const { trigger, secret } = await createTrigger();
    const other = await createTrigger({ name: "other" });
    const raw = JSON.stringify(issue);
    const before = await counts();
    const attempts: Array<[string, Record<string, string>]> = [
      ["no headers", { "content-type": "application/json" }],
      ["a tampered body's signature", webhookHeaders(secret, raw.replace("7", "8"), clock.now())],
      ["another trigger's secret", webhookHeaders(other.secret, raw, clock.now())],
      ["301 s old", webhookHeaders(secret, raw, new Date(clock.now().getTime() - 301_000))],
      ["301 s in the future", webhookHeaders(secret, raw, new Date(clock.now().getTime() + 301_000))],
      ["a malformed signature", { ...webhookHeaders(secret, raw, clock.now()), "x-lap-signature": "sha256=abc" }],
    ];
    for (const [what, headers] of attempts) {
      const res = await h.t.json("POST", `/api/triggers/${trigger.id}`, { key: null, body: raw, headers });
      expect([what, res.status, res.body.error.code]).toEqual([what, 401, "unauthorized"]);
    }
    expect(await counts()).toEqual(before);
    // Inside the window (even 299 s old) it is accepted.
    expect((await deliver(trigger.id, secret, issue, { at: new Date(clock.now().getTime() - 299_000) })).status).toBe(202);
  });

  test("a replay is answered once: the same 202 and session, nothing new started", async () => {
    const { trigger, secret } = await createTrigger();
    const before = await counts();
    const first = await deliver(trigger.id, secret, issue, { headers: { "idempotency-key": "gh-delivery-1" } });
    expect(first.status).toBe(202);
    clock.advance(30_000); // a retry signed again later, same key
    const again = await deliver(trigger.id, secret, issue, { headers: { "idempotency-key": "gh-delivery-1" } });
    expect(again.status).toBe(202);
    expect(again.body).toEqual({ ...first.body, replayed: true });
    // The same key with another body is not a replay.
    const other = await deliver(trigger.id, secret, { ...issue, action: "closed" }, { headers: { "idempotency-key": "gh-delivery-1" } });
    expect(other.status).toBe(409);
    // Without a key, the exact same signed request (same timestamp and body) is one delivery too.
    const raw = JSON.stringify(issue);
    const headers = webhookHeaders(secret, raw, clock.now());
    const a = await h.t.json("POST", `/api/triggers/${trigger.id}`, { key: null, body: raw, headers });
    const b = await h.t.json("POST", `/api/triggers/${trigger.id}`, { key: null, body: raw, headers });
    expect(b.body).toEqual({ ...a.body, replayed: true });
    expect(await counts()).toEqual({ ...before, deliveries: before.deliveries + 2, sessions: before.sessions + 2 });
  });

  test("concurrent copies of one delivery start one session", async () => {
    const { trigger, secret } = await createTrigger();
    const before = await counts();
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => deliver(trigger.id, secret, issue, { headers: { "idempotency-key": "burst" } })),
    );
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202, 202]);
    expect(new Set(answers.map((a) => a.body.session_id)).size).toBe(1);
    expect(answers.filter((a) => !a.body.replayed)).toHaveLength(1);
    expect((await counts()).sessions).toBe(before.sessions + 1);
  });

  test("bad input is a 4xx naming what is wrong, and nothing is stored", async () => {
    const { trigger, secret } = await createTrigger({ prompt_template: "{{body.text}}" });
    const before = await counts();
    const notJson = await deliver(trigger.id, secret, null, { raw: "{not json" });
    expect([notJson.status, notJson.body.error.fields]).toEqual([400, [{ field: "body", message: "not valid JSON" }]]);
    const empty = await deliver(trigger.id, secret, { other: 1 });
    expect([empty.status, empty.body.error.fields[0].field]).toEqual([400, "body"]);
    const badKey = await deliver(trigger.id, secret, { text: "x" }, { headers: { "idempotency-key": "has spaces in it" } });
    expect([badKey.status, badKey.body.error.fields[0].field]).toEqual([400, "idempotency-key"]);
    const huge = await deliver(trigger.id, secret, { text: "x".repeat(300 * 1024) });
    expect([huge.status, huge.body.error.code]).toEqual([413, "payload_too_large"]);
    expect((await deliver("trg_nope", secret, { text: "x" })).status).toBe(404);
    expect(await counts()).toEqual(before);
  });

  test("a paused trigger or agent answers 409 and keeps nothing; the same delivery works once resumed", async () => {
    const { trigger, secret } = await createTrigger();
    const before = await counts();
    await h.t.json("POST", `/api/triggers/${trigger.id}/pause`);
    expect((await deliver(trigger.id, secret, issue, { headers: { "idempotency-key": "k1" } })).status).toBe(409);
    await h.t.json("POST", `/api/triggers/${trigger.id}/resume`);
    await h.t.json("POST", `/api/agents/${h.agentId}/pause`);
    try {
      const res = await deliver(trigger.id, secret, issue, { headers: { "idempotency-key": "k1" } });
      expect([res.status, res.body.error.message]).toEqual([409, expect.stringContaining("paused")]);
    } finally {
      await h.t.json("POST", `/api/agents/${h.agentId}/resume`);
    }
    expect(await counts()).toEqual(before);
    expect((await deliver(trigger.id, secret, issue, { headers: { "idempotency-key": "k1" } })).status).toBe(202);
  });

  test("a replay is answered even after the trigger was paused; a new delivery is not", async () => {
    const { trigger, secret } = await createTrigger();
    const first = await deliver(trigger.id, secret, issue, { headers: { "idempotency-key": "before-pause" } });
    await h.t.json("POST", `/api/triggers/${trigger.id}/pause`);
    const again = await deliver(trigger.id, secret, issue, { headers: { "idempotency-key": "before-pause" } });
    expect([again.status, again.body.session_id, again.body.replayed]).toEqual([202, first.body.session_id, true]);
    expect((await deliver(trigger.id, secret, issue, { headers: { "idempotency-key": "after-pause" } })).status).toBe(409);
  });

  test("a trigger whose key was revoked is refused (403) and keeps nothing", async () => {
    const dave = await userWithAgent("dave");
    const { trigger, secret } = await createTrigger({ name: "dave's" }, dave.token);
    expect((await deliver(trigger.id, secret, issue)).status).toBe(202);
    await h.t.json("DELETE", `/api/keys/${dave.key.id}`);
    const before = await counts();
    const res = await deliver(trigger.id, secret, { ...issue, action: "edited" });
    expect([res.status, res.body.error.message]).toEqual([403, "Trigger dave's starts nothing: the API key that created it was revoked"]);
    expect(await counts()).toEqual(before);
  });

  test("rotating the secret: the old one is refused at once, the new one works", async () => {
    const { trigger, secret } = await createTrigger();
    const rotated = await h.t.json("POST", `/api/triggers/${trigger.id}/rotate-secret`);
    expect(rotated.body.secret).not.toBe(secret);
    expect((await deliver(trigger.id, secret, issue)).status).toBe(401);
    expect((await deliver(trigger.id, rotated.body.secret, issue)).status).toBe(202);
  });

  test("continue: deliveries go to one session, in order", async () => {
    const { trigger, secret } = await createTrigger({ session_mode: "continue", prompt_template: "{{body.text}}" });
    const a = await deliver(trigger.id, secret, { text: "first" });
    const b = await deliver(trigger.id, secret, { text: "second" });
    expect(b.body.session_id).toBe(a.body.session_id);
    await h.waitFor(
      "both turns",
      async () => (await h.events(a.body.session_id)).filter((e) => e.type === "session.status_idle").length === 2,
    );
    const prompts = (await h.events(a.body.session_id))
      .filter((e) => e.type === "user.message")
      .map((e) => (e.data.content as Array<{ text: string }>)[0]!.text);
    expect(prompts).toEqual(["first", "second"]);
    expect((await h.t.json("GET", `/api/triggers/${trigger.id}`)).body.session_id).toBe(a.body.session_id);
  }, 30_000);
});
