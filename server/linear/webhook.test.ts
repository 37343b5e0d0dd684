/**
 * Linear end to end (docs/linear.md): signed agent session
 * webhooks, real sessions over a FakeManagedAgents runtime, activities posted back to the fake.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { echoReply } from "../../test/support/fake-managed-agents";
import { ACME, createdEvent, linearHarness, linearId, promptedEvent, type LinearHarness } from "../../test/support/linear-harness";
import { NO_AGENT_TEXT } from "./webhook";

let h: LinearHarness;
let agentId: string;
const issuedSecrets: string[] = [];

beforeAll(async () => {
  h = await linearHarness();
  agentId = await h.installAndBind(ACME);
}, 60_000);
afterAll(async () => {
  await h?.close();
}, 60_000);
beforeEach(async () => {
  await h.idle();
  h.runtime.reply = (text) => echoReply(text);
});

const sessionEvents = async (id: string) =>
  (await h.json("GET", `/api/sessions/${id}/events?after=0&limit=1000`)).body.data as Array<{ type: string; data: any }>;
const userTexts = async (id: string) =>
  (await sessionEvents(id)).filter((e) => e.type === "user.message").map((e) => e.data.content[0].text as string);
const count = async (table: string) => Number((await h.database.query<{ n: number }>(`select count(*)::int as n from ${table}`))[0]!.n);
const waitFor = async (what: string, cond: () => Promise<boolean> | boolean) => {
  for (let i = 0; i < 500; i++) {
    if (await cond()) return;
    await Bun.sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe("webhook verification", () => {
  test("a bad signature, a wrong secret or a stale timestamp is refused and writes nothing", async () => {
    const before = { events: await count("linear_events"), sessions: await count("sessions") };
    const ev = createdEvent(ACME, linearId("as"));
    const cases = [
      { o: { signature: "0".repeat(64) }, reason: "signature does not match" },
      { o: { signature: "not-hex" }, reason: "missing or malformed linear-signature" },
      { o: { secret: "another-secret" }, reason: "signature does not match" },
      { o: { at: Date.now() - 61_000 }, reason: "stale webhookTimestamp" },
      { o: { at: Date.now() + 61_000 }, reason: "stale webhookTimestamp" },
    ];
    for (const c of cases) {
      const res = await h.webhook(ev, c.o);
      expect(res.status).toBe(401);
      expect(res.body.error.message).toContain(c.reason);
    }
    const unsigned = await h.app.handle(
      new Request("http://lap.test/api/integrations/webhooks/linear", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ...ev, webhookTimestamp: Date.now() }),
      }),
    );
    expect(unsigned.status).toBe(401);
    expect(await count("linear_events")).toBe(before.events);
    expect(await count("sessions")).toBe(before.sessions);
    expect(h.fake.activitiesOf(ev.agentSession.id)).toEqual([]);
  });

  test("a replayed webhook is answered once: one session, one answer in Linear", async () => {
    const id = linearId("as");
    const ev = createdEvent(ACME, id, { comment: "replay me" });
    const at = Date.now();
    const first = await h.webhook(ev, { at, delivery: "d-1" });
    const again = await h.webhook(ev, { at, delivery: "d-1" });
    const redelivered = await h.webhook(ev, { delivery: "d-2" });
    expect(first).toMatchObject({ status: 200, body: { outcome: "started" } });
    expect(again).toEqual({ status: 200, body: { ok: true, outcome: "replayed" } });
    expect(redelivered.body.outcome).toBe("replayed");
    await h.idle();
    expect(h.fake.activitiesOf(id).filter((a) => a.content.type === "response")).toHaveLength(1);
    expect((await h.database.query("select * from linear_agent_sessions where agent_session_id = $1", [id])).length).toBe(1);
  });

  test("events of other kinds are answered and ignored; a malformed agent session event is a 400 naming the field", async () => {
    expect((await h.webhook({ type: "Issue", action: "create", data: { id: "x" } })).body).toEqual({ ok: true, outcome: "ignored" });
    const bad = await h.webhook({ type: "AgentSessionEvent", action: "created", organizationId: ACME.organizationId, agentSession: {} });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields[0].field).toBe("agentSession.id");
  });
});

describe("agent sessions", () => {
  test("created starts a session from the issue and the comment; its progress and answer are posted back", async () => {
    h.runtime.reply = (text) => [
      { event: { type: "session.status_running" } },
      { event: { type: "agent.thinking", thinking: "Reading the issue" } },
      { event: { type: "agent.tool_use", name: "bash", input: { command: "grep -r login src" } } },
      ...echoReply(text).slice(2),
    ];
    const id = linearId("as");
    const res = await h.webhook(
      createdEvent(ACME, id, { title: "Fix the login page", description: "It returns 500 on submit.", comment: "@lap please look" }),
    );
    expect(res.status).toBe(200);
    const sessionId = res.body.session_id as string;
    await h.idle();
    const prompt = (await userTexts(sessionId))[0]!;
    expect(prompt).toContain("Linear issue ENG-42: Fix the login page");
    expect(prompt).toContain("It returns 500 on submit.");
    expect(prompt).toContain("@lap please look");
    const session = await h.json("GET", `/api/sessions/${sessionId}`);
    expect(session.body.agent_id).toBe(agentId);
    expect(session.body.title).toBe("Linear ENG-42: Fix the login page");
    const posted = h.fake.activitiesOf(id);
    expect(posted.map((a) => a.content.type)).toEqual(["thought", "thought", "action", "response"]);
    expect(posted[0]!.content.body).toBe(`Working on it in LAP: http://lap.test/sessions/${sessionId}`);
    expect(posted[1]).toMatchObject({ ephemeral: true, content: { body: "Reading the issue" } });
    expect(posted[2]!.content).toEqual({ type: "action", action: "bash", parameter: '{"command":"grep -r login src"}' });
    expect(posted[3]!.content.body).toBe(`You said: ${prompt}`);
    const [link] = await h.database.query<{ session_id: string; issue_identifier: string }>(
      "select * from linear_agent_sessions where agent_session_id = $1",
      [id],
    );
    expect(link).toMatchObject({ session_id: sessionId, issue_identifier: "ENG-42" });
  });

  test("prompted continues the same LAP session", async () => {
    const id = linearId("as");
    const created = await h.webhook(createdEvent(ACME, id));
    await h.idle();
    const followUp = await h.webhook(promptedEvent(ACME, id, "Also check the signup page"));
    expect(followUp.body).toEqual({ ok: true, outcome: "started", session_id: created.body.session_id });
    await h.idle();
    expect((await userTexts(created.body.session_id)).at(-1)).toBe("Also check the signup page");
    const responses = h.fake
      .activitiesOf(id)
      .filter((a) => a.content.type === "response")
      .map((a) => a.content.body);
    expect(responses).toHaveLength(2);
    expect(responses[1]).toBe("You said: Also check the signup page");
    expect(h.fake.activitiesOf(id).find((a) => a.content.body === "Continuing in the same LAP session.")).toBeDefined();
  });

  test("a workspace LAP has no installation for starts nothing", async () => {
    const before = await count("sessions");
    const stranger = { ...ACME, organizationId: "0b1c2d3e-0000-4000-8000-00000stranger", name: "Stranger" };
    expect((await h.json("PUT", "/api/integrations/linear/bindings", { body: { organization_id: "*", agent_id: agentId } })).status).toBe(
      200,
    );
    try {
      expect((await h.webhook(createdEvent(stranger, linearId("as")))).body).toEqual({ ok: true, outcome: "ignored" });
      expect(await count("sessions")).toBe(before);
      const [row] = await h.database.query<{ error: string }>("select error from linear_events where organization_id = $1", [
        stranger.organizationId,
      ]);
      expect(row!.error).toBe("workspace not installed in LAP");
    } finally {
      await h.json("DELETE", "/api/integrations/linear/bindings/*");
    }
  });

  test("a prompt for an agent session LAP did not start is ignored", async () => {
    const before = await count("sessions");
    expect((await h.webhook(promptedEvent(ACME, linearId("as"), "hello?"))).body).toEqual({ ok: true, outcome: "ignored" });
    expect(await count("sessions")).toBe(before);
  });

  test("the stop signal stops the running turn and Linear is told", async () => {
    h.runtime.reply = () => [
      { event: { type: "session.status_running" } },
      { event: { type: "agent.message", content: [{ type: "text", text: "Starting a long job" }] } },
      { delay: 20_000 },
      { event: { type: "session.status_idle", stop_reason: { type: "end_turn" } } },
    ];
    const id = linearId("as");
    const created = await h.webhook(createdEvent(ACME, id, { comment: "long job" }));
    const sessionId = created.body.session_id as string;
    await waitFor("the turn to run", async () => (await sessionEvents(sessionId)).some((e) => e.type === "agent.message"));
    const stop = await h.webhook(promptedEvent(ACME, id, "Stop", "stop"));
    expect(stop.body).toEqual({ ok: true, outcome: "stopped", session_id: sessionId });
    await h.idle();
    // The turn row is closed by the worker, which may commit just after the event the follower saw.
    const turnStatus = async () =>
      (
        await h.database.query<{ status: string }>("select status from session_turns where session_id = $1 order by created_at limit 1", [
          sessionId,
        ])
      )[0]!.status;
    await waitFor("the turn to be interrupted", async () => (await turnStatus()) !== "running");
    expect(await turnStatus()).toBe("interrupted");
    const posted = h.fake.activitiesOf(id);
    expect(posted.at(-1)!.content).toEqual({ type: "response", body: "Stopped." });
    expect(posted.filter((a) => a.content.type === "response")).toHaveLength(1);
  }, 30_000);

  test("stop also stops a turn queued behind the running one; with nothing running Linear is told at once", async () => {
    h.runtime.reply = (text) =>
      text.includes("long job")
        ? [
            { event: { type: "session.status_running" } },
            { event: { type: "agent.message", content: [{ type: "text", text: "Starting a long job" }] } },
            { delay: 20_000 },
            { event: { type: "session.status_idle", stop_reason: { type: "end_turn" } } },
          ]
        : echoReply(text);
    const id = linearId("as");
    const sessionId = (await h.webhook(createdEvent(ACME, id, { comment: "long job" }))).body.session_id as string;
    await waitFor("the turn to run", async () => (await sessionEvents(sessionId)).some((e) => e.type === "agent.message"));
    expect((await h.webhook(promptedEvent(ACME, id, "and then this"))).body.outcome).toBe("started");
    expect((await h.webhook(promptedEvent(ACME, id, "Stop", "stop"))).body.outcome).toBe("stopped");
    await h.idle();
    const statuses = async () =>
      (
        await h.database.query<{ status: string }>("select status from session_turns where session_id = $1 order by created_at", [
          sessionId,
        ])
      ).map((t) => t.status);
    await waitFor("both turns to end", async () => (await statuses()).every((st) => st !== "running" && st !== "queued"));
    expect(await statuses()).toEqual(["interrupted", "interrupted"]);
    expect(
      h.fake
        .activitiesOf(id)
        .filter((a) => a.content.type === "response")
        .map((a) => a.content.body),
    ).toEqual(["Stopped.", "Stopped."]);
    // The queued prompt never reached the agent.
    const sent = [...h.runtime.sessions.values()].flatMap((rs) => rs.received.map((m) => JSON.stringify(m)));
    expect(sent.some((m) => m.includes("long job"))).toBe(true);
    expect(sent.some((m) => m.includes("and then this"))).toBe(false);
    // Nothing left to stop: the stop is confirmed at once, and nothing else happens.
    expect((await h.webhook(promptedEvent(ACME, id, "Stop", "stop"))).body.outcome).toBe("stopped");
    await h.idle();
    expect(h.fake.activitiesOf(id).at(-1)!.content).toEqual({ type: "response", body: "Stopped." });
    expect(await statuses()).toEqual(["interrupted", "interrupted"]);
  }, 30_000);

  test("a workspace with no agent bound is told so in Linear and nothing starts", async () => {
    const other = { ...ACME, organizationId: "0b1c2d3e-0000-4000-8000-0000000nobd", name: "Unbound" };
    expect(await h.install(other)).toBe("/integrations?linear_installed=Unbound");
    const before = await count("sessions");
    const id = linearId("as");
    expect((await h.webhook(createdEvent(other, id))).body).toEqual({ ok: true, outcome: "ignored" });
    await h.idle();
    expect(await count("sessions")).toBe(before);
    expect(h.fake.activitiesOf(id).map((a) => a.content)).toEqual([{ type: "error", body: NO_AGENT_TEXT }]);
    // Activities go out with that workspace's own token.
    const acmeTokens = new Set(h.fake.activities.filter((a) => a.agentSessionId !== id).map((a) => a.token));
    expect(acmeTokens.has(h.fake.activitiesOf(id)[0]!.token)).toBe(false);
  });

  test("a paused agent is refused in Linear, once", async () => {
    expect((await h.json("POST", `/api/agents/${agentId}/pause`)).status).toBe(200);
    try {
      const id = linearId("as");
      const ev = createdEvent(ACME, id);
      expect((await h.webhook(ev)).body).toEqual({ ok: true, outcome: "refused" });
      expect((await h.webhook(ev)).body).toEqual({ ok: true, outcome: "replayed" });
      await h.idle();
      const posted = h.fake.activitiesOf(id);
      expect(posted).toHaveLength(1);
      expect(posted[0]!.content.type).toBe("error");
      expect(posted[0]!.content.body).toContain("paused");
    } finally {
      await h.json("POST", `/api/agents/${agentId}/resume`);
    }
  });
});

describe("secrets", () => {
  test("tokens and secrets appear in no log line and no API response", async () => {
    await h.idle();
    const tokens = [...new Set(h.fake.activities.map((a) => a.token))];
    expect(tokens.length).toBeGreaterThan(0);
    issuedSecrets.push(...tokens, h.fake.clientSecret, h.fake.webhookSecret);
    const [row] = await h.database.query<{ access_token_sealed: string }>("select access_token_sealed from linear_installations limit 1");
    const responses = [
      await h.request("GET", "/api/integrations/linear/status"),
      await h.request("GET", "/api/integrations/linear/events?limit=500"),
      await h.request("GET", "/api/settings/system"),
    ];
    const bodies = await Promise.all(responses.map((r) => r.text()));
    expect(h.logs.length).toBeGreaterThan(0);
    for (const secret of issuedSecrets) {
      for (const line of h.logs) expect(line).not.toContain(secret);
      for (const body of bodies) expect(body).not.toContain(secret);
    }
    for (const body of bodies) expect(body).not.toContain(row!.access_token_sealed);
  });

  test("an expiring token is refreshed before it is used, and the new one sealed", async () => {
    const tokenCalls = () => h.fake.calls.filter((c) => c.path === "/oauth/token" && c.status === 200).length;
    const before = tokenCalls();
    await h.database.query("update linear_installations set token_expires_at = now() where organization_id = $1", [ACME.organizationId]);
    const id = linearId("as");
    await h.webhook(createdEvent(ACME, id));
    await h.idle();
    expect(tokenCalls()).toBe(before + 1);
    expect(h.fake.activitiesOf(id).at(-1)!.content.type).toBe("response");
    const [row] = await h.database.query<{ token_expires_at: Date }>(
      "select token_expires_at from linear_installations where organization_id = $1",
      [ACME.organizationId],
    );
    expect(new Date(row!.token_expires_at).getTime()).toBeGreaterThan(Date.now() + 3_600_000);
  });
});
