/**
 * Session titles, rename and cost totals (docs/sessions.md "Titles", "Cost"): the title is written by
 * a call through LAP's own gateway to a fake OpenAI-compatible provider (test/support/fake-openai.ts),
 * which is logged and charged to the session; a title a person set is never replaced; a failing title
 * call leaves the session as it was.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeOpenAI, type FakeOpenAI } from "../../../test/support/fake-openai";
import { authHeaders, readSse, sessionHarness, type SessionHarness } from "../../../test/support/session-harness";
import { makeTeamKey } from "../../../test/support/teams";
import { createLogger } from "../../lib/logger";
import { cleanTitle, TITLE_KEY_ALIAS, TitleService } from "./service";

let h: SessionHarness;
let openai: FakeOpenAI;

beforeAll(async () => {
  openai = startFakeOpenAI({ apiKey: "sk-fake-title-provider" });
  const dir = mkdtempSync(join(tmpdir(), "lap-titles-"));
  writeFileSync(
    join(dir, "config.yaml"),
    `
model_list:
  - model_name: title-fake
    litellm_params: { model: openai/gpt-4o-mini, api_base: ${openai.url}, api_key: sk-fake-title-provider }
    model_info: { input_cost_per_token: 0.001, output_cost_per_token: 0.002 }
`,
  );
  h = await sessionHarness({
    env: { LAP_GATEWAY_CONFIG: join(dir, "config.yaml"), LAP_TITLE_MODEL: "title-fake", LAP_GATEWAY_SPEND_FLUSH_MS: "50" },
  });
}, 60_000);

afterAll(async () => {
  await h?.close();
  openai?.stop();
});

const titleCalls = () => openai.script.requests.filter((r) => r.path === "/v1/chat/completions");
const titleOf = async (id: string) => (await h.t.json("GET", `/api/sessions/${id}`)).body.title as string;
const spendRows = async (query: string) => {
  await h.t.services.gateway.flush();
  const res = await h.t.json("GET", `/spend/logs?${query}`);
  expect(res.status).toBe(200);
  return res.body as Array<Record<string, any>>;
};

describe("generated titles", () => {
  test("after the first turn a title is written through the gateway, logged and charged to the session", async () => {
    openai.script.reset();
    openai.script.reply = '"Quarterly budget review."\nextra line';
    const s = await h.createSession({ prompt: "Please help me plan the quarterly budget review" });
    const title = await h.waitFor("a generated title", async () => (await titleOf(s.id)) || undefined);
    expect(title).toBe("Quarterly budget review");
    const [call] = titleCalls();
    expect(call!.body.model).toBe("gpt-4o-mini");
    expect(JSON.stringify(call!.body.messages)).toContain("plan the quarterly budget review");
    expect(JSON.stringify(call!.body.messages)).toContain("You said:");

    const rows = await h.waitFor("the title call's spend row", async () => {
      const r = await spendRows(`session_id=${s.id}`);
      return r.length ? r : undefined;
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      key_alias: TITLE_KEY_ALIAS,
      agent_id: h.agentId,
      session_id: s.id,
      model_group: "title-fake",
      status: "success",
      team_id: s.team_id,
    });
    expect(rows[0]!.spend).toBeGreaterThan(0);

    // Cost totals: the session, the sessions list and the agents list all show it.
    const view = (await h.t.json("GET", `/api/sessions/${s.id}`)).body;
    expect(view.spend).toBeCloseTo(rows[0]!.spend, 9);
    const listed = (await h.t.json("GET", `/api/sessions?agent_id=${h.agentId}`)).body.data.find((x: any) => x.id === s.id);
    expect(listed.spend).toBeCloseTo(rows[0]!.spend, 9);
    const agent = (await h.t.json("GET", "/api/agents")).body.data.find((a: any) => a.id === h.agentId);
    expect(agent.spend).toBeGreaterThanOrEqual(rows[0]!.spend);

    // A second turn writes no new title.
    const before = titleCalls().length;
    await h.send(s.id, "and the next quarter?");
    await h.waitFor(
      "second turn done",
      async () =>
        (await h.t.json("GET", `/api/sessions/${s.id}`)).body.status === "idle" &&
        (await h.events(s.id)).filter((e) => e.type === "session.status_idle").length === 2,
    );
    await Bun.sleep(100);
    expect(titleCalls().length).toBe(before);
    expect(await titleOf(s.id)).toBe("Quarterly budget review");
  }, 30_000);

  test("/spend/logs?agent_id= returns only that agent's calls", async () => {
    const mine = await spendRows(`agent_id=${h.agentId}`);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((r) => r.agent_id === h.agentId)).toBe(true);
    expect(await spendRows("agent_id=agt_nobody")).toEqual([]);
    const bad = await h.t.json("GET", `/spend/logs?agent_id=${"x".repeat(201)}`);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.error.fields)).toContain("agent_id");
  });

  test("a title set at creation is never replaced, and no title call is made", async () => {
    openai.script.reset();
    const s = await h.createSession({ title: "My own title", prompt: "hello there friend" });
    await h.waitForEvent(s.id, (e) => e.type === "session.status_idle");
    await Bun.sleep(150);
    expect(titleCalls()).toHaveLength(0);
    expect(await titleOf(s.id)).toBe("My own title");
  });

  test("a rename while the title model is still writing wins", async () => {
    openai.script.reset();
    openai.script.delayMs = 600;
    openai.script.reply = "Generated title";
    const s = await h.createSession({ prompt: "write a poem about rain" });
    await h.waitFor("the title call", async () => titleCalls().length > 0);
    expect((await h.t.json("PATCH", `/api/sessions/${s.id}`, { body: { title: "Rain poem" } })).status).toBe(200);
    await Bun.sleep(900);
    expect(await titleOf(s.id)).toBe("Rain poem");
    // Asking again (as after a later turn) changes nothing either.
    expect(await h.t.services.sessions.titles.generate(s.id)).toBeNull();
    expect(await titleOf(s.id)).toBe("Rain poem");
    openai.script.reset();
  });

  test("a failing title call leaves the session working and untitled", async () => {
    openai.script.reset();
    openai.script.alwaysFail = { status: 500, message: "provider down" };
    const s = await h.createSession({ prompt: "summarise the incident report" });
    await h.waitFor("the failed title call", async () => titleCalls().length > 0);
    await h.waitForStatus(s.id, "idle");
    await Bun.sleep(200);
    expect(await titleOf(s.id)).toBe("");
    openai.script.reset();
    const next = await h.send(s.id, "thanks");
    expect(next.status).toBe(202);
    await h.waitFor("second turn done", async () => (await h.events(s.id)).filter((e) => e.type === "session.status_idle").length === 2);
    // The session row follows the stored idle event (turn-worker endTurn), not in its transaction.
    await h.waitForStatus(s.id, "idle");
    expect((await h.t.json("GET", `/api/sessions/${s.id}`)).body).toMatchObject({ status: "idle", error: null });
    const failed = await spendRows(`session_id=${s.id}`);
    expect(failed.some((r) => r.status === "failure" && r.key_alias === TITLE_KEY_ALIAS)).toBe(true);
  });

  test("an agent with generate_titles: false gets no titles and no call; bad values are 400", async () => {
    const bad = await h.t.json("PATCH", `/api/agents/${h.agentId}`, { body: { generate_titles: "no" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields[0].field).toBe("generate_titles");
    const off = await h.t.json("POST", "/api/agents", {
      body: { name: "untitled-agent", model: "claude-sonnet-4-5", runtime_id: h.runtimeId, generate_titles: false },
    });
    expect(off.status).toBe(201);
    expect(off.body.generate_titles).toBe(false);
    expect((await h.t.json("GET", `/api/agents/${h.agentId}`)).body.generate_titles).toBe(true);
    openai.script.reset();
    const s = await h.createSession({ agent_id: off.body.id, prompt: "no title for me please" });
    await h.waitForStatus(s.id, "idle");
    expect(await h.t.services.sessions.titles.generate(s.id)).toBeNull();
    expect(titleCalls()).toHaveLength(0);
    expect(await titleOf(s.id)).toBe("");
  });

  test("without a title model nothing is called", async () => {
    let called = 0;
    const titles = new TitleService({
      database: h.t.database,
      sessions: h.t.services.sessions.sessions,
      log: createLogger("silent"),
      call: async () => (called++, {}),
    });
    expect(titles.enabled).toBe(false);
    const s = await h.createSession({ prompt: "no titles here" });
    await h.waitForStatus(s.id, "idle");
    await Bun.sleep(50);
    // The app's own title service (configured) may have written one; ours must not call at all.
    await h.t.database.query("update sessions set title = '' where id = $1", [s.id]);
    expect(await titles.generate(s.id)).toBeNull();
    titles.afterTurn(s.id);
    expect(called).toBe(0);
  });

  test("cleanTitle keeps one plain line", () => {
    expect(cleanTitle("Title: “Fixing the CI”.\nmore")).toBe("Fixing the CI");
    expect(cleanTitle(42)).toBe("");
    expect(cleanTitle("a\u0007b")).toBe("ab");
    expect(cleanTitle("x".repeat(200)).length).toBe(80);
  });
});

describe("rename", () => {
  test("PATCH renames, records an audit row, and refuses bad input changing nothing", async () => {
    const s = await h.createSession({ title: "before" });
    const ok = await h.t.json("PATCH", `/api/sessions/${s.id}`, { body: { title: "  after  " } });
    expect(ok.status).toBe(200);
    expect(ok.body.title).toBe("after");
    const audit = await h.t.database.query<{ changes: any }>(
      "select changes from audit_log where action = 'session.rename' and object_id = $1",
      [s.id],
    );
    expect(audit).toHaveLength(1);
    expect(audit[0]!.changes).toEqual({ title: { before: "before", after: "after" } });

    for (const [body, field] of [
      [{ title: "" }, "title"],
      [{ title: "   " }, "title"],
      [{ title: "x".repeat(201) }, "title"],
      [{ title: "a\nb" }, "title"],
      [{}, "title"],
      [{ title: "ok", extra: 1 }, ""],
    ] as const) {
      const res = await h.t.json("PATCH", `/api/sessions/${s.id}`, { body });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.error)).toContain(field);
    }
    expect(await titleOf(s.id)).toBe("after");
    expect((await h.t.json("PATCH", "/api/sessions/ses_nope", { body: { title: "x" } })).status).toBe(404);
    expect((await h.t.json("PATCH", `/api/sessions/${s.id}`, { key: null, body: { title: "x" } })).status).toBe(401);
  });

  test("a rename reaches the live sessions stream with the new title", async () => {
    const s = await h.createSession({ title: "old name" });
    const res = await fetch(`${h.url}/api/sessions/stream`, { headers: authHeaders });
    expect(res.status).toBe(200);
    // The stream subscribes before it answers (status-routes.ts), so the rename can follow at once.
    const frames = readSse(res, (got) => got.some((f: any) => f.id === s.id && f.title === "live name"));
    expect((await h.t.json("PATCH", `/api/sessions/${s.id}`, { body: { title: "live name" } })).status).toBe(200);
    const got = (await frames) as any[];
    expect(got.find((f) => f.id === s.id && f.title === "live name")).toMatchObject({ op: "update", status: expect.any(String) });
  });

  test("another team's key cannot rename (404) and the title stays", async () => {
    const s = await h.createSession({ title: "team default" });
    const { key } = await makeTeamKey(h.t, "renamer");
    const res = await h.t.json("PATCH", `/api/sessions/${s.id}`, { key, body: { title: "hijacked" } });
    expect(res.status).toBe(404);
    expect(await titleOf(s.id)).toBe("team default");
  });
});
