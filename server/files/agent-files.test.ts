import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestApp, type TestApp } from "../../test/support/app";
import { makeTeam, makeUser } from "../../test/support/teams";

let t: TestApp;
const LIMITS = { LAP_AGENT_FILE_MAX_BYTES: "1000", LAP_AGENT_FILES_MAX_COUNT: "3", LAP_AGENT_FILES_MAX_TOTAL_BYTES: "1500" };
beforeAll(async () => {
  t = await createTestApp(LIMITS);
}, 60_000);
afterAll(() => t?.close());

const uid = () => crypto.randomUUID().slice(0, 8);
const agent = async (key?: string) => {
  const res = await t.json("POST", "/api/agents", { body: { name: `files-${uid()}`, model: "claude-sonnet-4-5" }, key });
  expect(res.status).toBe(201);
  return res.body.id as string;
};
const put = (id: string, path: string, body: string, key?: string) =>
  t.request("PUT", `/api/agents/${id}/files/${encodeURIComponent(path)}`, { body, key, headers: { "content-type": "text/plain" } });
const upload = (id: string, parts: Array<{ name: string; body: string; path?: string }>, key?: string | null) => {
  const form = new FormData();
  for (const p of parts) {
    form.append("file", new File([p.body], p.name, { type: "text/markdown" }));
    if (p.path !== undefined) form.append("path", p.path);
  }
  const headers: Record<string, string> = key === null ? {} : { authorization: `Bearer ${key ?? "test-master-key-0123456789"}` };
  return t.app.handle(new Request(`http://localhost/api/agents/${id}/files`, { method: "POST", headers, body: form }));
};
const list = async (id: string, key?: string) => (await t.json("GET", `/api/agents/${id}/files`, { key })).body;
const auditCount = async (id: string) =>
  (
    await t.database.query<{ n: number }>(
      "select count(*)::int as n from audit_log where object_type = 'agent_file' and detail->>'agent_id' = $1",
      [id],
    )
  )[0]!.n;

describe("agent files", () => {
  test("upload (multipart and raw), list, download, replace and delete, each audited", async () => {
    const id = await agent();
    const up = await upload(id, [
      { name: "notes.md", body: "# Notes\n", path: "notes.md" },
      { name: "x.txt", body: "data", path: "./docs//guide.txt" },
    ]);
    expect(up.status).toBe(201);
    const uploaded = (await up.json()).data;
    expect(uploaded.map((f: { path: string }) => f.path)).toEqual(["notes.md", "docs/guide.txt"]);
    expect(uploaded[0]).toMatchObject({ agent_id: id, size: 8, content_type: "text/markdown" });
    expect((await put(id, "docs/guide.txt", "replaced")).status).toBe(200);

    const listed = await list(id);
    expect(listed.data.map((f: { path: string; size: number }) => [f.path, f.size])).toEqual([
      ["docs/guide.txt", 8],
      ["notes.md", 8],
    ]);
    expect(listed).toMatchObject({ total_bytes: 16, limits: { max_file_bytes: 1000, max_files: 3, max_total_bytes: 1500 } });
    expect(listed.data[0].sha256).toBe(new Bun.CryptoHasher("sha256").update("replaced").digest("hex"));

    const dl = await t.request("GET", `/api/agents/${id}/files/docs/guide.txt`);
    expect(dl.status).toBe(200);
    expect(await dl.text()).toBe("replaced");
    expect(dl.headers.get("content-disposition")).toStartWith("attachment;");
    expect(dl.headers.get("content-type")).toBe("application/octet-stream");

    expect((await t.json("DELETE", `/api/agents/${id}/files/notes.md`)).status).toBe(200);
    expect((await t.json("DELETE", `/api/agents/${id}/files/notes.md`)).status).toBe(404);
    expect((await list(id)).data.map((f: { path: string }) => f.path)).toEqual(["docs/guide.txt"]);
    const actions = await t.database.query<{ action: string }>(
      "select action from audit_log where object_type = 'agent_file' and detail->>'agent_id' = $1 order by id",
      [id],
    );
    expect(actions.map((a) => a.action)).toEqual(["agent_file.upload", "agent_file.upload", "agent_file.replace", "agent_file.delete"]);
    // The audit rows describe the file, never hold its bytes.
    const changes = await t.database.query<{ c: string }>(
      "select changes::text as c from audit_log where object_type = 'agent_file' and detail->>'agent_id' = $1",
      [id],
    );
    expect(changes.some((r) => r.c.includes("replaced"))).toBe(false);
  });

  test("bad input is a 4xx naming the field and writes nothing", async () => {
    const id = await agent();
    expect((await put(id, "keep.txt", "kept")).status).toBe(200);
    const cases: Array<[string, Response, number, string]> = [
      ["traversal", await put(id, "../../etc/passwd", "x"), 400, "path"],
      ["absolute", await put(id, "/etc/passwd", "x"), 400, "path"],
      ["backslash", await put(id, "a\\..\\b", "x"), 400, "path"],
      ["inside .git", await put(id, ".git/hooks/pre-commit", "x"), 400, "path"],
      ["control character", await put(id, "a\tb", "x"), 400, "path"],
      ["no path", await t.request("PUT", `/api/agents/${id}/files/`, { body: "x" }), 400, "path"],
      ["oversized raw", await put(id, "big.bin", "x".repeat(1001)), 413, "(body)"],
      ["oversized part", await upload(id, [{ name: "big.bin", body: "x".repeat(1001) }]), 413, "file"],
      [
        "traversal in a part's name",
        await upload(id, [
          { name: "ok.txt", body: "a" },
          { name: "../x", body: "b" },
        ]),
        400,
        "file[1]",
      ],
      ["traversal in a path field", await upload(id, [{ name: "ok.txt", body: "a", path: "a/../../b" }]), 400, "path"],
      [
        "too many",
        await upload(id, [
          { name: "1", body: "a" },
          { name: "2", body: "a" },
          { name: "3", body: "a" },
        ]),
        409,
        "file",
      ],
      [
        "over the total",
        await upload(id, [
          { name: "1", body: "a".repeat(800) },
          { name: "2", body: "a".repeat(800) },
        ]),
        413,
        "file",
      ],
      [
        "neither multipart nor JSON",
        await t.request("POST", `/api/agents/${id}/files`, { body: "a", headers: { "content-type": "text/plain" } }),
        415,
        "(body)",
      ],
      ["JSON without files", await t.request("POST", `/api/agents/${id}/files`, { body: { path: "a" } }), 400, "files"],
    ];
    for (const [what, res, status, field] of cases) {
      expect({ what, status: res.status }).toEqual({ what, status });
      const body = await res.json();
      expect({ what, fields: body.error.fields?.map((f: { field: string }) => f.field) }).toEqual({
        what,
        fields: expect.arrayContaining([field]),
      });
    }
    expect((await list(id)).data.map((f: { path: string }) => f.path)).toEqual(["keep.txt"]);
    expect(await auditCount(id)).toBe(1);
    expect((await put("agt_nosuchagent", "a.txt", "x")).status).toBe(404);
    expect((await upload("agt_nosuchagent", [{ name: "a.txt", body: "x" }])).status).toBe(404);
    expect((await t.request("GET", `/api/agents/${id}/files/nothing.txt`)).status).toBe(404);
    expect((await upload(id, [{ name: "a.txt", body: "x" }], null)).status).toBe(401);
  });

  test("another team's key gets 404 and changes nothing; a viewer reads but does not write", async () => {
    const team = await makeTeam(t, `files-${uid()}`);
    const member = await makeUser(t, `m-${uid()}@example.com`, team, "member");
    const viewer = await makeUser(t, `v-${uid()}@example.com`, team, "viewer");
    const stranger = await makeUser(t, `s-${uid()}@example.com`, await makeTeam(t, `other-${uid()}`), "admin");
    const id = await agent(member.key);
    expect((await put(id, "mine.txt", "secret plans", member.key)).status).toBe(200);
    expect((await t.json("GET", `/api/agents/${id}/files`, { key: stranger.key })).status).toBe(404);
    expect((await t.request("GET", `/api/agents/${id}/files/mine.txt`, { key: stranger.key })).status).toBe(404);
    expect((await put(id, "mine.txt", "overwritten", stranger.key)).status).toBe(404);
    expect((await upload(id, [{ name: "x.txt", body: "x" }], stranger.key)).status).toBe(404);
    expect((await t.json("DELETE", `/api/agents/${id}/files/mine.txt`, { key: stranger.key })).status).toBe(404);
    expect((await list(id, viewer.key)).data.map((f: { path: string }) => f.path)).toEqual(["mine.txt"]);
    expect((await put(id, "v.txt", "x", viewer.key)).status).toBe(403);
    expect(await (await t.request("GET", `/api/agents/${id}/files/mine.txt`)).text()).toBe("secret plans");
  });

  test("deleting the agent deletes its files", async () => {
    const id = await agent();
    expect((await put(id, "a.txt", "x")).status).toBe(200);
    expect((await t.json("DELETE", `/api/agents/${id}`)).status).toBe(200);
    expect((await t.database.query<{ n: number }>("select count(*)::int as n from agent_files where agent_id = $1", [id]))[0]!.n).toBe(0);
  });
});

describe("the JSON upload (the dashboard's: a cookie session sends only JSON)", () => {
  test("base64 files are stored; bad base64, paths and sizes are 4xx naming the field and store nothing", async () => {
    const id = await agent();
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    const ok = await t.json("POST", `/api/agents/${id}/files`, {
      body: { files: [{ path: "a/b.txt", content_base64: b64("hello"), content_type: "text/plain" }] },
    });
    expect(ok.status).toBe(201);
    expect(ok.body.data[0]).toMatchObject({ path: "a/b.txt", size: 5, content_type: "text/plain" });
    expect(await (await t.request("GET", `/api/agents/${id}/files/a/b.txt`)).text()).toBe("hello");
    const cases: Array<[unknown, number, string]> = [
      [{ files: [{ path: "../x", content_base64: b64("x") }] }, 400, "files.0.path"],
      [{ files: [{ path: "x", content_base64: "not base64!" }] }, 400, "files.0.content_base64"],
      [{ files: [{ path: "x", content_base64: b64("x".repeat(1001)) }] }, 413, "files.0.content_base64"],
      [{ files: [] }, 400, "files"],
    ];
    for (const [body, status, field] of cases) {
      const res = await t.json("POST", `/api/agents/${id}/files`, { body });
      expect([field, res.status, res.body.error.fields?.map((f: { field: string }) => f.field)]).toEqual([
        field,
        status,
        expect.arrayContaining([field]),
      ]);
    }
    expect((await list(id)).data.map((f: { path: string }) => f.path)).toEqual(["a/b.txt"]);
  });
});

test("uploads at the same time cannot pass the count limit together (the agent row is locked; matters on PostgreSQL)", async () => {
  const id = await agent();
  const statuses = (await Promise.all(["a1", "a2", "a3", "a4", "a5"].map((p) => put(id, p, "x")))).map((r) => r.status).sort();
  expect(statuses).toEqual([200, 200, 200, 409, 409]);
  expect((await list(id)).data).toHaveLength(3);
});
