/**
 * The supervisor's workspace API (./files.ts) through its real HTTP handler (./routes.ts) on a real
 * directory: the token is required; the agent's files go in; tree, one file and zip come out; traversal,
 * links the agent left (to a file outside, or a folder swapped for a link) and oversized zips are refused
 * and write or read nothing outside the workspace (docs/security.md "Workspace files").
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { createHandler } from "./routes";
import { Supervisor } from "./supervisor";

const TOKEN = "files-test-token-0123456789";

function setup() {
  const base = mkdtempSync(join(tmpdir(), "lap-sup-files-"));
  const workspace = join(base, "workspace");
  const outside = join(base, "outside");
  mkdirSync(workspace);
  mkdirSync(outside);
  writeFileSync(join(outside, "secret.txt"), "host secret");
  const sup = new Supervisor({
    harnessName: "builtin",
    harnessEntry: "/nonexistent",
    bunPath: process.execPath,
    workspace,
    harnessEnv: {},
    token: TOKEN,
    defaultMaxSteps: 1,
    log: () => {},
  });
  const handler = createHandler(sup);
  const call = (method: string, path: string, body?: unknown, key: string | null = TOKEN) =>
    handler(
      new Request(`http://supervisor${path}`, {
        method,
        headers: { ...(key ? { "x-api-key": key } : {}), ...(body ? { "content-type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      }),
    );
  return { workspace, outside, call };
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("the supervisor's workspace API", () => {
  test("needs the supervisor token on every route", async () => {
    const { call, workspace } = setup();
    for (const [m, p] of [
      ["GET", "/lap/files/tree"],
      ["GET", "/lap/files/raw?path=a"],
      ["GET", "/lap/files/zip"],
    ])
      expect((await call(m!, p!, undefined, null)).status).toBe(401);
    const wrong = await call("POST", "/lap/files", { files: [{ path: "a.txt", content_base64: b64("x") }] }, "wrong-token-0123456789");
    expect(wrong.status).toBe(401);
    expect(existsSync(join(workspace, "a.txt"))).toBe(false);
  });

  test("places files, then lists, reads and zips them", async () => {
    const { call, workspace } = setup();
    const put = await call("POST", "/lap/files", {
      files: [
        { path: "notes/brief.md", content_base64: b64("# brief") },
        { path: "./data.bin", content_base64: Buffer.from([0, 1, 2, 255]).toString("base64") },
      ],
    });
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual({ written: 2 });
    expect(readFileSync(join(workspace, "notes/brief.md"), "utf8")).toBe("# brief");

    const tree = (await (await call("GET", "/lap/files/tree")).json()) as { entries: Array<{ path: string; type: string; size: number }> };
    expect(tree.entries.map((e) => `${e.type}:${e.path}:${e.size}`)).toEqual(["file:data.bin:4", "dir:notes:0", "file:notes/brief.md:7"]);
    const sub = (await (await call("GET", "/lap/files/tree?path=notes")).json()) as { entries: Array<{ path: string }> };
    expect(sub.entries.map((e) => e.path)).toEqual(["brief.md"]);

    const raw = await call("GET", "/lap/files/raw?path=data.bin");
    expect(raw.headers.get("content-length")).toBe("4");
    expect([...new Uint8Array(await raw.arrayBuffer())]).toEqual([0, 1, 2, 255]);

    const zip = unzipSync(new Uint8Array(await (await call("GET", "/lap/files/zip")).arrayBuffer()));
    expect(Object.keys(zip).sort()).toEqual(["data.bin", "notes/brief.md"]);
    expect(new TextDecoder().decode(zip["notes/brief.md"])).toBe("# brief");
  });

  test("bad paths are 400 naming the field and write nothing", async () => {
    const { call, workspace, outside } = setup();
    for (const path of ["../outside/x.txt", "/etc/passwd", "a/../../x", ".git/config", "a\\b"]) {
      const res = await call("POST", "/lap/files", {
        files: [
          { path: "ok.txt", content_base64: b64("ok") },
          { path, content_base64: b64("x") },
        ],
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { fields: Array<{ field: string }> } }).error.fields[0]!.field).toBe("files.1.path");
    }
    expect(existsSync(join(workspace, "ok.txt"))).toBe(false);
    expect(existsSync(join(outside, "x.txt"))).toBe(false);
    expect((await call("POST", "/lap/files", { files: [{ path: "a", content_base64: "not base64!" }] })).status).toBe(400);
    expect((await call("GET", "/lap/files/raw?path=../outside/secret.txt")).status).toBe(400);
    expect((await call("GET", "/lap/files/tree?path=..")).status).toBe(400);
    expect((await call("GET", "/lap/files/raw?path=missing.txt")).status).toBe(404);
  });

  test("links the agent left are never followed: not read, not listed, not written through", async () => {
    const { call, workspace, outside } = setup();
    symlinkSync(join(outside, "secret.txt"), join(workspace, "leak.txt"));
    symlinkSync(outside, join(workspace, "out"));
    expect((await call("GET", "/lap/files/raw?path=leak.txt")).status).toBe(422);
    expect((await call("GET", "/lap/files/raw?path=out/secret.txt")).status).toBe(422);
    expect((await call("GET", "/lap/files/tree?path=out")).status).toBe(422);
    const tree = (await (await call("GET", "/lap/files/tree")).json()) as { entries: unknown[]; skipped: number };
    expect(tree).toMatchObject({ entries: [], skipped: 2 });
    const zip = unzipSync(new Uint8Array(await (await call("GET", "/lap/files/zip")).arrayBuffer()));
    expect(Object.keys(zip)).toEqual([]);

    // Writing over a link replaces the link; a file below a linked folder is refused.
    expect((await call("POST", "/lap/files", { files: [{ path: "leak.txt", content_base64: b64("mine") }] })).status).toBe(200);
    expect(readFileSync(join(workspace, "leak.txt"), "utf8")).toBe("mine");
    expect(readFileSync(join(outside, "secret.txt"), "utf8")).toBe("host secret");
    const through = await call("POST", "/lap/files", { files: [{ path: "out/planted.txt", content_base64: b64("x") }] });
    expect(through.status).toBe(422);
    expect(existsSync(join(outside, "planted.txt"))).toBe(false);
    expect(readlinkSync(join(workspace, "out"))).toBe(outside);
  });

  test("a zip over the caps LAP asks for is 413 before any byte", async () => {
    const { call, workspace } = setup();
    writeFileSync(join(workspace, "big.bin"), Buffer.alloc(4096));
    writeFileSync(join(workspace, "small.txt"), "s");
    expect((await call("GET", "/lap/files/zip?max_bytes=1000")).status).toBe(413);
    expect((await call("GET", "/lap/files/zip?max_files=1")).status).toBe(413);
    expect((await call("GET", "/lap/files/zip?max_bytes=10000&max_files=5")).status).toBe(200);
  });
});
