/**
 * Full-text search over session titles and messages (docs/sessions.md "Search"), on PGlite and, with
 * LAP_TEST_DB=postgres, PostgreSQL: matches with snippets and the matching event's seq, scoped to what
 * the caller may see, paged, and bad queries refused naming `q`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sessionHarness, type SessionHarness } from "../../../test/support/session-harness";
import { makeTeamKey } from "../../../test/support/teams";
import { MESSAGE_TSV, splitHeadline } from "./service";

let h: SessionHarness;
let teamB: { team: string; key: string };
let mine: string;
let theirs: string;

const search = (q: string, opts: { key?: string | null; extra?: string } = {}) =>
  h.t.json("GET", `/api/sessions/search?q=${encodeURIComponent(q)}${opts.extra ?? ""}`, opts.key === undefined ? {} : { key: opts.key });

beforeAll(async () => {
  h = await sessionHarness();
  const a = await h.createSession({ prompt: "Draft the aardvark migration plan for the warehouse" });
  mine = a.id;
  teamB = await makeTeamKey(h.t, "searcher");
  const agentB = await h.t.json("POST", "/api/agents", {
    key: teamB.key,
    body: { name: "team-b-agent", model: "claude-sonnet-4-5", runtime_id: h.runtimeId },
  });
  expect(agentB.status).toBe(201);
  const b = await h.t.json("POST", "/api/sessions", {
    key: teamB.key,
    body: { agent_id: agentB.body.id, prompt: "Another aardvark, and a secret pangolin" },
  });
  expect(b.status).toBe(201);
  theirs = b.body.id;
  await h.waitForStatus(mine, "idle");
  await h.waitForStatus(theirs, "idle");
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe("session search", () => {
  test("finds a message, with the event's seq and a highlighted snippet (stemmed: migrations → migration)", async () => {
    const res = await search("migrations");
    expect(res.status).toBe(200);
    const hit = res.body.data.find((d: any) => d.session.id === mine);
    expect(hit).toBeDefined();
    expect(hit.matched).toBe("message");
    const user = (await h.events(mine)).find((e) => e.type === "user.message")!;
    expect(hit.seq).toBe(user.seq);
    expect(hit.snippet).toContain("aardvark migration plan");
    expect(hit.highlights).toContainEqual({ text: "migration", match: true });
    expect(hit.session).toMatchObject({ id: mine, agent_id: h.agentId, agent_name: "helper", spend: 0 });
  });

  test("finds the agent's messages too", async () => {
    const res = await search("said");
    expect(res.body.data.map((d: any) => d.session.id)).toContain(mine);
  });

  test("finds a title", async () => {
    const s = await h.createSession({ title: "Zebra accounting" });
    const res = await search("zebra");
    expect(res.body.data).toHaveLength(1);
    expect(res.body.data[0]).toMatchObject({ matched: "title", seq: null, session: { id: s.id } });
    expect(res.body.data[0].highlights).toContainEqual({ text: "Zebra", match: true });
  });

  test("another team's sessions never match", async () => {
    const admin = (await search("aardvark")).body.data.map((d: any) => d.session.id);
    expect(admin).toEqual(expect.arrayContaining([mine, theirs]));
    const b = await search("aardvark", { key: teamB.key });
    expect(b.status).toBe(200);
    expect(b.body.data.map((d: any) => d.session.id)).toEqual([theirs]);
    expect((await search("warehouse", { key: teamB.key })).body.data).toEqual([]);
    // And the other way: a key of a third team sees neither.
    const c = await makeTeamKey(h.t, "outsider");
    expect((await search("aardvark", { key: c.key })).body.data).toEqual([]);
    expect((await search("pangolin", { key: c.key })).body.data).toEqual([]);
  });

  test("pages with next_cursor, newest first, no overlap", async () => {
    const made: string[] = [];
    for (const n of [1, 2, 3]) made.push((await h.createSession({ title: `Platypus page ${n}` })).id);
    const first = await search("platypus", { extra: "&limit=2" });
    expect(first.body.data.map((d: any) => d.session.id)).toEqual([made[2], made[1]]);
    expect(first.body.next_cursor).toBeString();
    const second = await search("platypus", { extra: `&limit=2&cursor=${first.body.next_cursor}` });
    expect(second.body.data.map((d: any) => d.session.id)).toEqual([made[0]]);
    expect(second.body.next_cursor).toBeNull();
  });

  test("bad queries are 400 naming the field; operators in q are only words", async () => {
    for (const [q, field] of [
      ["", "q"],
      [" ", "q"],
      ["a", "q"],
      ["x".repeat(201), "q"],
    ] as const) {
      const res = await search(q);
      expect(res.status).toBe(400);
      expect(res.body.error.fields.map((f: any) => f.field)).toContain(field);
    }
    const missing = await h.t.json("GET", "/api/sessions/search");
    expect(missing.status).toBe(400);
    expect(missing.body.error.fields.map((f: any) => f.field)).toContain("q");
    expect((await search("aardvark", { extra: "&limit=0" })).status).toBe(400);
    const cursor = await search("aardvark", { extra: "&cursor=garbage" });
    expect(cursor.status).toBe(400);
    expect(cursor.body.error.fields[0].field).toBe("cursor");
    for (const q of ["(&!:*", "' or 1=1 --", '"unclosed', "-aardvark", "aardvark:*"]) {
      const res = await search(q);
      expect(res.status).toBe(200);
    }
    expect((await search("aardvark", { key: null })).status).toBe(401);
  });
});

test("the message match can use the full-text index (drizzle/0014_session_search.sql)", async () => {
  await h.t.database.transaction(async (tx) => {
    await tx.query("set local enable_seqscan = off");
    const plan = await tx.query<Record<string, string>>(
      `explain select e.session_id from session_events e, (select websearch_to_tsquery('english', 'aardvark') as query) q
        where e.type in ('user.message', 'agent.message') and ${MESSAGE_TSV} @@ q.query`,
    );
    expect(plan.map((r) => Object.values(r)[0]).join("\n")).toContain("session_events_fts_idx");
  });
});

test("splitHeadline splits at the markers", () => {
  expect(splitHeadline("a \uE000b\uE001 c")).toEqual([
    { text: "a ", match: false },
    { text: "b", match: true },
    { text: " c", match: false },
  ]);
  expect(splitHeadline("plain")).toEqual([{ text: "plain", match: false }]);
});
