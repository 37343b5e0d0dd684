/**
 * An agent's memory through /api/agents/:id/memory (docs/memory.md): CRUD with versions, soft delete
 * and restore, search, limits, bad input, and who may read or write it (docs/security.md).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestApp, type TestApp } from "../../test/support/app";
import { makeTeam, makeUser } from "../../test/support/teams";
import { MEMORY_LIMITS } from "./model";

let t: TestApp;
let team: string;
let agentId: string;
let member: { id: string; key: string };
let viewer: { id: string; key: string };
let outsider: { id: string; key: string };

const base = () => `/api/agents/${agentId}/memory`;
const count = async () => (await t.database.query<{ n: number }>("select count(*)::int as n from agent_memory"))[0]!.n;
const versions = async () => (await t.database.query<{ n: number }>("select count(*)::int as n from agent_memory_versions"))[0]!.n;
const audits = async (action: string) =>
  (await t.database.query<{ n: number }>("select count(*)::int as n from audit_log where action = $1", [action]))[0]!.n;

beforeAll(async () => {
  t = await createTestApp();
  team = await makeTeam(t, "memory-team");
  member = await makeUser(t, "mem-member@example.com", team, "member");
  viewer = await makeUser(t, "mem-viewer@example.com", team, "viewer");
  const other = await makeTeam(t, "other-team");
  outsider = await makeUser(t, "mem-outsider@example.com", other, "admin");
  const agent = await t.json("POST", "/api/agents", { key: member.key, body: { name: "memory-agent", model: "m", team_id: team } });
  expect(agent.status).toBe(201);
  agentId = agent.body.id;
}, 60_000);
afterAll(() => t?.close());

describe("memory CRUD", () => {
  test("create, read, update (versioned), search, delete (soft) and restore a version; each change audited", async () => {
    const created = await t.json("POST", base(), {
      key: member.key,
      body: { key: "deploy-steps", content: "Run make deploy.", always_on: true },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      key: "deploy-steps",
      content: "Run make deploy.",
      always_on: true,
      scope: "agent",
      version: 1,
      deleted: false,
    });
    const id = created.body.id as string;
    expect(await audits("memory.create")).toBe(1);

    const patched = await t.json("PATCH", `${base()}/${id}`, { key: member.key, body: { content: "Run make deploy-prod." } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ content: "Run make deploy-prod.", always_on: true, version: 2 });

    await t.json("POST", base(), { key: member.key, body: { key: "style", content: "Use tabs." } });
    const search = await t.json("GET", `${base()}?q=deploy-prod`, { key: viewer.key });
    expect(search.status).toBe(200);
    expect(search.body.data.map((e: { key: string }) => e.key)).toEqual(["deploy-steps"]);
    expect(search.body.usage).toEqual({
      entries: 2,
      chars: "Run make deploy-prod.".length + "Use tabs.".length,
      always_on_chars: "Run make deploy-prod.".length,
    });
    expect(search.body.limits.entry_chars).toBe(MEMORY_LIMITS.entryChars);

    const deleted = await t.json("DELETE", `${base()}/${id}`, { key: member.key });
    expect(deleted.body).toMatchObject({ deleted: true, version: 3 });
    expect((await t.json("GET", base(), { key: member.key })).body.data.map((e: { key: string }) => e.key)).toEqual(["style"]);
    expect(
      (await t.json("GET", `${base()}?deleted=true`, { key: member.key })).body.data.map((e: { key: string }) => e.key).sort(),
    ).toEqual(["deploy-steps", "style"]);

    // Restore version 1: a new version (4), live again, with the first content.
    const restored = await t.json("POST", `${base()}/${id}/restore`, { key: member.key, body: { version: 1 } });
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ content: "Run make deploy.", deleted: false, version: 4 });
    const history = await t.json("GET", `${base()}/${id}/history`, { key: viewer.key });
    expect(history.body.data.map((v: { version: number; change: string }) => [v.version, v.change])).toEqual([
      [4, "restore"],
      [3, "delete"],
      [2, "update"],
      [1, "create"],
    ]);
    expect(history.body.data[2].content).toBe("Run make deploy-prod.");
    expect(await audits("memory.update")).toBe(1);
    expect(await audits("memory.delete")).toBe(1);
    expect(await audits("memory.restore")).toBe(1);

    // A key is unique among live entries.
    const dup = await t.json("POST", base(), { key: member.key, body: { key: "style", content: "again" } });
    expect(dup.status).toBe(409);
  });

  test("bad input is a 400 naming the field and writes nothing", async () => {
    const [before, beforeVersions] = [await count(), await versions()];
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ content: "x" }, "key"],
      [{ key: "k" }, "content"],
      [{ key: "", content: "x" }, "key"],
      [{ key: "two\nlines", content: "x" }, "key"],
      [{ key: "k", content: "x".repeat(MEMORY_LIMITS.entryChars + 1) }, "content"],
      [{ key: "k", content: "a\u0000b" }, "content"],
      [{ key: "k", content: "x", always_on: "yes" }, "always_on"],
      [{ key: "k", content: "x", scope: "team" }, "scope"],
      [{ key: "k", content: "x", agent_id: "agt_other" }, ""],
    ];
    for (const [body, field] of cases) {
      const res = await t.json("POST", base(), { key: member.key, body });
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.body.error.code).toBe("invalid_request");
      if (field) expect(res.body.error.fields.map((f: { field: string }) => f.field)).toContain(field);
    }
    const some = (await t.json("GET", base(), { key: member.key })).body.data[0].id;
    expect((await t.json("PATCH", `${base()}/${some}`, { key: member.key, body: {} })).status).toBe(400);
    const badVersion = await t.json("POST", `${base()}/${some}/restore`, { key: member.key, body: { version: 99 } });
    expect(badVersion.status).toBe(400);
    expect(badVersion.body.error.fields[0].field).toBe("version");
    expect((await t.json("PATCH", `${base()}/mem_unknown`, { key: member.key, body: { content: "x" } })).status).toBe(404);
    expect((await t.json("GET", `/api/agents/agt_unknown/memory`)).status).toBe(404);
    expect([await count(), await versions()]).toEqual([before, beforeVersions]);
  });

  test("limits: the always-on share and the agent's total are clear 413s naming the field, writing nothing", async () => {
    const agent = await t.json("POST", "/api/agents", { key: member.key, body: { name: "full-agent", model: "m", team_id: team } });
    const url = `/api/agents/${agent.body.id}/memory`;
    const big = "y".repeat(MEMORY_LIMITS.entryChars);
    for (let i = 0; i < MEMORY_LIMITS.alwaysOnChars / MEMORY_LIMITS.entryChars; i++) {
      expect((await t.json("POST", url, { key: member.key, body: { key: `on-${i}`, content: big, always_on: true } })).status).toBe(201);
    }
    const before = await count();
    const on = await t.json("POST", url, { key: member.key, body: { key: "one-more", content: "z", always_on: true } });
    expect(on.status).toBe(413);
    expect(on.body.error).toMatchObject({ code: "memory_full", fields: [{ field: "always_on" }] });
    expect(on.body.error.message).toContain(String(MEMORY_LIMITS.alwaysOnChars));
    let i = 0;
    for (; (i + 3) * MEMORY_LIMITS.entryChars <= MEMORY_LIMITS.agentChars; i++) {
      expect((await t.json("POST", url, { key: member.key, body: { key: `off-${i}`, content: big } })).status).toBe(201);
    }
    const full = await t.json("POST", url, { key: member.key, body: { key: "overflow", content: big } });
    expect(full.status).toBe(413);
    expect(full.body.error.fields[0].field).toBe("content");
    expect(await count()).toBe(before + i);
    // Turning an entry on past the always-on share is refused too, and changes nothing.
    const off = (await t.json("GET", `${url}?q=off-0`, { key: member.key })).body.data[0];
    expect((await t.json("PATCH", `${url}/${off.id}`, { key: member.key, body: { always_on: true } })).status).toBe(413);
    expect((await t.json("GET", `${url}/${off.id}`, { key: member.key })).body).toMatchObject({ always_on: false, version: 1 });
  });
});

describe("who may read and write an agent's memory", () => {
  test("another team's admin gets 404 and writes nothing; a viewer reads but may not write", async () => {
    const before = await count();
    expect((await t.json("GET", base(), { key: outsider.key })).status).toBe(404);
    expect((await t.json("POST", base(), { key: outsider.key, body: { key: "x", content: "y" } })).status).toBe(404);
    const some = (await t.json("GET", base(), { key: member.key })).body.data[0].id;
    expect((await t.json("PATCH", `${base()}/${some}`, { key: outsider.key, body: { content: "y" } })).status).toBe(404);
    expect((await t.json("DELETE", `${base()}/${some}`, { key: outsider.key })).status).toBe(404);
    expect((await t.json("GET", base(), { key: viewer.key })).status).toBe(200);
    expect((await t.json("POST", base(), { key: viewer.key, body: { key: "x", content: "y" } })).status).toBe(403);
    expect((await t.json("GET", base(), { key: null })).status).toBe(401);
    expect(await count()).toBe(before);
  });

  test("a per-user entry is its user's own: other members do not see it", async () => {
    const mine = await t.json("POST", base(), { key: member.key, body: { key: "my-pref", content: "Answer in French.", scope: "user" } });
    expect(mine.status).toBe(201);
    expect(mine.body).toMatchObject({ scope: "user", user_id: member.id });
    expect((await t.json("GET", base(), { key: member.key })).body.data.map((e: { key: string }) => e.key)).toContain("my-pref");
    expect((await t.json("GET", base(), { key: viewer.key })).body.data.map((e: { key: string }) => e.key)).not.toContain("my-pref");
    expect((await t.json("GET", `${base()}/${mine.body.id}`, { key: viewer.key })).status).toBe(404);
    // The master key has no user: it cannot keep a per-user entry.
    const noUser = await t.json("POST", base(), { body: { key: "x", content: "y", scope: "user" } });
    expect(noUser.status).toBe(400);
    expect(noUser.body.error.fields[0].field).toBe("scope");
  });
});
