/**
 * Skills and rules through the real API on a real database (docs/skills.md): CRUD, versions and
 * rollback; bad input (front matter, traversal and absolute paths, symlinks, zip bombs, too many
 * files) is a 400 naming the field and writes nothing; agents accept only their own team's skills and
 * rules; another team's skill is invisible; a git import clones over smart HTTP, and a loopback URL
 * is refused without the operator's allow.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { strToU8, zipSync } from "fflate";
import { createTestApp, type TestApp } from "../../test/support/app";
import { LOOPBACK_FAKES_ALLOWED } from "../../test/support/destinations";
import { startGitHttp, type GitHttpServer } from "../../test/support/git-http";
import { makeTeam, makeUser } from "../../test/support/teams";
import { ApiError } from "../lib/errors";
import { DestinationGuard } from "../net/destinations";
import { SkillService } from "./service";

let t: TestApp;
let git: GitHttpServer;
const uid = () => crypto.randomUUID().slice(0, 8);
const md = (name: string, description = "Fills PDF forms; use when asked about forms", body = "Use pdftk.") =>
  `---\nname: ${name}\ndescription: ${description}\n---\n${body}\n`;
const b64 = (s: string) => Buffer.from(s).toString("base64");
const zip64 = (files: Record<string, Uint8Array | [Uint8Array, { os?: number; attrs?: number }]>) =>
  Buffer.from(zipSync(files as never)).toString("base64");

beforeAll(async () => {
  t = await createTestApp({ LAP_ALLOW_PRIVATE_HOSTS: LOOPBACK_FAKES_ALLOWED });
  git = startGitHttp({
    files: { "skills/pdf-forms/SKILL.md": md("pdf-forms"), "skills/pdf-forms/scripts/fill.sh": "#!/bin/sh\necho fill\n" },
  });
}, 60_000);
afterAll(async () => {
  git?.stop();
  await t?.close();
});

/** Rows in the skill tables and audit rows: what a refused request must not change. */
const counts = async () => {
  const [r] = await t.database.query<{ s: number; v: number; r: number; rv: number; a: number }>(
    "select (select count(*)::int from skills) as s, (select count(*)::int from skill_versions) as v, (select count(*)::int from rules) as r, (select count(*)::int from rule_versions) as rv, (select count(*)::int from audit_log) as a",
  );
  return r!;
};

describe("skills", () => {
  test("create, edit (a version each), list versions, get one, roll back, delete", async () => {
    const name = `pdf-${uid()}`;
    const created = await t.json("POST", "/api/skills", {
      body: { skill_md: md(name), files: [{ path: "scripts/fill.sh", content_base64: b64("echo v1") }] },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name, description: "Fills PDF forms; use when asked about forms", current_version: 1 });
    const id = created.body.id;
    const edited = await t.json("PATCH", `/api/skills/${id}`, { body: { skill_md: md(name, "Second description", "Use qpdf.") } });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ current_version: 2, description: "Second description" });
    const got = await t.json("GET", `/api/skills/${id}`);
    expect(got.body.current).toMatchObject({ version: 2, files: [{ path: "scripts/fill.sh", size: 7 }] });
    expect(got.body.current.skill_md).toContain("Use qpdf.");
    expect((await t.json("GET", `/api/skills/${id}/versions`)).body.data.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    expect((await t.json("GET", `/api/skills/${id}/versions/1`)).body.skill_md).toContain("Use pdftk.");
    expect((await t.json("GET", `/api/skills/${id}/versions/9`)).status).toBe(404);
    const back = await t.json("POST", `/api/skills/${id}/rollback`, { body: { version: 1 } });
    expect(back.body).toMatchObject({ current_version: 3, description: "Fills PDF forms; use when asked about forms" });
    expect((await t.json("GET", `/api/skills/${id}/versions/3`)).body).toMatchObject({ source: "rollback to 1" });
    expect((await t.json("POST", `/api/skills/${id}/rollback`, { body: { version: 7 } })).body.error.fields).toEqual([
      { field: "version", message: "no version 7" },
    ]);
    expect((await t.json("GET", `/api/skills?q=${name}`)).body.data.map((s: { id: string }) => s.id)).toEqual([id]);
    expect((await t.json("POST", "/api/skills", { body: { skill_md: md(name) } })).status).toBe(409);
    expect((await t.json("DELETE", `/api/skills/${id}`)).status).toBe(200);
    expect((await t.json("GET", `/api/skills/${id}`)).status).toBe(404);
  });

  test("a zip upload: SKILL.md in one folder plus files", async () => {
    const name = `zip-${uid()}`;
    const res = await t.json("POST", "/api/skills/import", {
      body: { zip_base64: zip64({ [`${name}/SKILL.md`]: strToU8(md(name)), [`${name}/ref/notes.md`]: strToU8("notes") }) },
    });
    expect(res.status).toBe(201);
    expect((await t.json("GET", `/api/skills/${res.body.id}`)).body.current).toMatchObject({
      source: "zip",
      files: [{ path: "ref/notes.md", size: 5 }],
    });
    // A zip with skill_id is a new version of that skill (its files replaced).
    const again = await t.json("POST", "/api/skills/import", {
      body: { skill_id: res.body.id, zip_base64: zip64({ "SKILL.md": strToU8(md(name, "Second")), "other.txt": strToU8("x") }) },
    });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: res.body.id, current_version: 2, description: "Second" });
    expect((await t.json("GET", `/api/skills/${res.body.id}`)).body.current.files).toEqual([{ path: "other.txt", size: 1 }]);
  });

  const bomb = () => zipSync({ "SKILL.md": strToU8(md("bomb")), "zeros.bin": new Uint8Array(3 * 1024 * 1024) }, { level: 9 });
  const bad: Array<[string, string, unknown]> = [
    ["no front matter", "skill_md", { skill_md: "just text" }],
    ["no name", "skill_md.name", { skill_md: "---\ndescription: x\n---\nbody" }],
    ["a name that is not a folder name", "skill_md.name", { skill_md: md("../etc") }],
    ["no description", "skill_md.description", { skill_md: "---\nname: ok\n---\nbody" }],
    ["YAML that is not a mapping", "skill_md", { skill_md: "---\n- a\n---\nbody" }],
    ["a traversal path", "files.0.path", { skill_md: md("trav"), files: [{ path: "../../.bashrc", content_base64: b64("x") }] }],
    ["an absolute path", "files.0.path", { skill_md: md("abs"), files: [{ path: "/etc/passwd", content_base64: b64("x") }] }],
    ["a file that is not base64", "files.0.content_base64", { skill_md: md("b64"), files: [{ path: "a.txt", content_base64: "%%%" }] }],
    [
      "an oversized file",
      "files.0.content_base64",
      { skill_md: md("big"), files: [{ path: "big.bin", content_base64: Buffer.alloc(2 * 1024 * 1024 + 10).toString("base64") }] },
    ],
    [
      "an oversized skill",
      "files",
      {
        skill_md: md("big"),
        files: ["a", "b"].map((n) => ({ path: `${n}.bin`, content_base64: Buffer.alloc(1100 * 1024).toString("base64") })),
      },
    ],
    [
      "too many files",
      "files",
      { skill_md: md("many"), files: Array.from({ length: 101 }, (_, i) => ({ path: `f${i}.txt`, content_base64: "" })) },
    ],
  ];
  for (const [what, field, body] of bad) {
    test(`${what}: 400 naming ${field}, nothing written`, async () => {
      const before = await counts();
      const res = await t.json("POST", "/api/skills", { body });
      expect(res.status).toBe(400);
      expect(res.body.error.fields.map((f: { field: string }) => f.field)).toContain(field);
      expect(await counts()).toEqual(before);
    });
  }

  const badZips: Array<[string, () => string, RegExp]> = [
    ["a traversal entry", () => zip64({ "SKILL.md": strToU8(md("zt")), "../evil.sh": strToU8("x") }), /evil\.sh.*\.\./],
    ["an absolute entry", () => zip64({ "SKILL.md": strToU8(md("za")), "/etc/cron.d/x": strToU8("x") }), /relative/],
    [
      "a symlink",
      () => zip64({ "SKILL.md": strToU8(md("zs")), link: [strToU8("/etc/passwd"), { os: 3, attrs: (0o120777 << 16) >>> 0 }] }),
      /symbolic link/,
    ],
    ["a zip bomb", () => Buffer.from(bomb()).toString("base64"), /expands to more than/],
    ["no SKILL.md", () => zip64({ "a/README.md": strToU8("x"), "b/README.md": strToU8("x") }), /no SKILL\.md/],
    ["not a zip", () => b64("hello"), /not a zip/],
  ];
  for (const [what, zip, message] of badZips) {
    test(`a zip with ${what}: 400 naming zip_base64, nothing written`, async () => {
      const before = await counts();
      const res = await t.json("POST", "/api/skills/import", { body: { zip_base64: zip() } });
      expect(res.status).toBe(400);
      expect(res.body.error.fields[0].field).toBe("zip_base64");
      expect(res.body.error.message).toMatch(message);
      expect(await counts()).toEqual(before);
    });
  }

  test("a zip bomb is small on the wire", () => {
    expect(bomb().length).toBeLessThan(64 * 1024);
  });

  test("a git import clones the repository and takes the named folder", async () => {
    const res = await t.json("POST", "/api/skills/import", {
      body: { git_url: `http://127.0.0.1:${git.port}/repo.git`, path: "skills/pdf-forms", team_id: undefined },
    });
    expect(res.status).toBe(201);
    const got = await t.json("GET", `/api/skills/${res.body.id}`);
    expect(got.body).toMatchObject({ name: "pdf-forms", current: { files: [{ path: "scripts/fill.sh" }] } });
    expect(got.body.current.source).toMatch(/^git http:\/\/127\.0\.0\.1:\d+\/repo\.git skills\/pdf-forms$/);
    const noSkill = await t.json("POST", "/api/skills/import", { body: { git_url: `http://127.0.0.1:${git.port}/repo.git` } });
    expect(noSkill.status).toBe(400);
    expect(noSkill.body.error.fields[0].field).toBe("git_url");
  });

  test("a git URL naming loopback is refused without the operator's allow, before any request", async () => {
    const strict = new SkillService({ database: t.database, destinations: new DestinationGuard() });
    const before = await counts();
    const served = git.requests.length;
    const err = await strict.import({ git_url: `https://127.0.0.1:${git.port}/repo.git`, path: "skills/pdf-forms" }).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(400);
    expect((err as ApiError).fields?.[0]?.field).toBe("git_url");
    expect(git.requests.length).toBe(served);
    expect(await counts()).toEqual(before);
  });
});

describe("rules", () => {
  test("create, new body is a new version, rename in place, roll back, delete", async () => {
    const name = `Style ${uid()}`;
    const created = await t.json("POST", "/api/rules", { body: { name, body: "Answer in English." } });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect((await t.json("PATCH", `/api/rules/${id}`, { body: { body: "Answer in French." } })).body.current_version).toBe(2);
    expect((await t.json("PATCH", `/api/rules/${id}`, { body: { name: `${name}!` } })).body).toMatchObject({
      current_version: 2,
      name: `${name}!`,
    });
    expect((await t.json("GET", `/api/rules/${id}`)).body.current.body).toBe("Answer in French.");
    expect((await t.json("POST", `/api/rules/${id}/rollback`, { body: { version: 1 } })).body.current_version).toBe(3);
    expect((await t.json("GET", `/api/rules/${id}`)).body.current.body).toBe("Answer in English.");
    expect((await t.json("GET", `/api/rules/${id}/versions`)).body.data.map((v: { version: number }) => v.version)).toEqual([3, 2, 1]);
    expect((await t.json("DELETE", `/api/rules/${id}`)).status).toBe(200);
  });

  test("an empty body is a 400 naming body, nothing written", async () => {
    const before = await counts();
    const res = await t.json("POST", "/api/rules", { body: { name: "empty", body: "" } });
    expect(res.status).toBe(400);
    expect(res.body.error.fields[0].field).toBe("body");
    expect(await counts()).toEqual(before);
  });
});

describe("agents and teams", () => {
  test("skill_ids and rule_ids must be the agent's team's: unknown or another team's is a 400 naming the field, nothing written", async () => {
    const red = await makeTeam(t, `red-${uid()}`);
    const blue = await makeTeam(t, `blue-${uid()}`);
    const alice = await makeUser(t, `alice-${uid()}@example.com`, red);
    const bob = await makeUser(t, `bob-${uid()}@example.com`, blue);
    const mine = (await t.json("POST", "/api/skills", { key: alice.key, body: { skill_md: md(`red-${uid()}`) } })).body.id as string;
    const myRule = (await t.json("POST", "/api/rules", { key: alice.key, body: { name: "red rule", body: "Be red." } })).body.id as string;
    const theirs = (await t.json("POST", "/api/skills", { key: bob.key, body: { skill_md: md(`blue-${uid()}`) } })).body.id as string;
    // Another team's skill is not there for alice.
    expect((await t.json("GET", `/api/skills/${theirs}`, { key: alice.key })).status).toBe(404);
    expect((await t.json("PATCH", `/api/skills/${theirs}`, { key: alice.key, body: { skill_md: md("stolen") } })).status).toBe(404);
    expect((await t.json("GET", "/api/skills", { key: alice.key })).body.data.map((s: { id: string }) => s.id)).not.toContain(theirs);
    const agent = (extra: Record<string, unknown>) => ({ name: `ag-${uid()}`, model: "claude-sonnet-4-5", ...extra });
    const agentsBefore = (await t.database.query<{ n: number }>("select count(*)::int as n from agents"))[0]!.n;
    for (const [extra, field] of [
      [{ skill_ids: [theirs] }, "skill_ids"],
      [{ skill_ids: ["skl_nope"] }, "skill_ids"],
      [{ rule_ids: ["rul_nope"] }, "rule_ids"],
    ] as const) {
      const res = await t.json("POST", "/api/agents", { key: alice.key, body: agent(extra) });
      expect(res.status).toBe(400);
      expect(res.body.error.fields.map((f: { field: string }) => f.field)).toEqual([field]);
    }
    expect((await t.database.query<{ n: number }>("select count(*)::int as n from agents"))[0]!.n).toBe(agentsBefore);
    const ok = await t.json("POST", "/api/agents", { key: alice.key, body: agent({ skill_ids: [mine], rule_ids: [myRule] }) });
    expect(ok.status).toBe(201);
    const patched = await t.json("PATCH", `/api/agents/${ok.body.id}`, { key: alice.key, body: { skill_ids: [mine, theirs] } });
    expect(patched.status).toBe(400);
    expect((await t.json("GET", `/api/agents/${ok.body.id}`, { key: alice.key })).body.skill_ids).toEqual([mine]);
    // An attached skill or rule is not deleted from under its agent.
    expect((await t.json("DELETE", `/api/skills/${mine}`, { key: alice.key })).status).toBe(409);
    expect((await t.json("DELETE", `/api/rules/${myRule}`, { key: alice.key })).status).toBe(409);
  });

  test("the routes need a key", async () => {
    expect((await t.json("GET", "/api/skills", { key: null })).status).toBe(401);
    expect((await t.json("POST", "/api/rules", { key: null, body: { name: "x", body: "y" } })).status).toBe(401);
  });
});
