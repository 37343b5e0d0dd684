/**
 * The workspace is the agent's: every link, hard link, FIFO or swap it can make must not get LAP
 * to read or write outside it (docs/security.md "Workspace files"). Real files on a temporary dir.
 */
import { describe, expect, test } from "bun:test";
import {
  closeSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { normalizeRelativePath } from "./paths";
import { placeAgentFiles, AgentFilePlacementError } from "./place";
import { openFileAt, openRoot, UnsafePathError, walkTree } from "./safe-fs";
import { zipStream } from "./zip";

const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));
const caps = { maxEntries: 1000, maxDepth: 32 };
const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return "served";
  } catch (e) {
    return e instanceof UnsafePathError ? e.code : `unexpected ${e}`;
  }
};

/** A workspace where the agent made every kind of trap, next to a "host" dir with a secret. */
function trappedWorkspace() {
  const host = tmp("lap-host-");
  writeFileSync(join(host, "secret.txt"), "HOST-SECRET");
  const other = tmp("lap-other-ws-");
  writeFileSync(join(other, "theirs.txt"), "OTHER-WORKSPACE");
  const ws = tmp("lap-ws-");
  mkdirSync(join(ws, "src"));
  writeFileSync(join(ws, "src", "main.ts"), "console.log(1)");
  writeFileSync(join(ws, "README.md"), "# hi");
  symlinkSync("/etc/passwd", join(ws, "passwd"));
  symlinkSync(join(host, "secret.txt"), join(ws, "src", "secret-link"));
  symlinkSync(other, join(ws, "other"));
  symlinkSync("/etc", join(ws, "etc"));
  linkSync(join(host, "secret.txt"), join(ws, "hard-secret"));
  Bun.spawnSync(["mkfifo", join(ws, "fifo")]);
  return { ws, host, other };
}

describe("paths", () => {
  test("normalized or refused with the reason", () => {
    expect(normalizeRelativePath("./a//b/./c.txt")).toEqual({ ok: true, path: "a/b/c.txt", segments: ["a", "b", "c.txt"] });
    for (const bad of [
      "../x",
      "a/../../x",
      "/etc/passwd",
      "C:/x",
      "a\\b",
      "a\u0000b",
      "a\nb",
      ".git/config",
      "x/.GIT/hooks",
      "",
      ".",
      `${"a/".repeat(40)}x`,
      "n".repeat(256),
    ]) {
      expect([bad, normalizeRelativePath(bad).ok]).toEqual([bad, false]);
    }
    expect(normalizeRelativePath("", { allowRoot: true })).toEqual({ ok: true, path: "", segments: [] });
    expect(normalizeRelativePath("/", { allowRoot: true }).ok).toBe(true);
  });
});

describe("reading an agent's workspace", () => {
  test("links, hard links and FIFOs are never served, listed or zipped", async () => {
    const { ws } = trappedWorkspace();
    const root = openRoot(ws);
    try {
      expect(codeOf(() => openFileAt(root, ["passwd"]))).toBe("symlink");
      expect(codeOf(() => openFileAt(root, ["src", "secret-link"]))).toBe("symlink");
      expect(codeOf(() => openFileAt(root, ["other", "theirs.txt"]))).toBe("not_dir");
      expect(codeOf(() => openFileAt(root, ["etc", "passwd"]))).toBe("not_dir");
      expect(codeOf(() => openFileAt(root, ["hard-secret"]))).toBe("hard_link");
      expect(codeOf(() => openFileAt(root, ["fifo"]))).toBe("not_file");
      expect(codeOf(() => openFileAt(root, ["src"]))).toBe("not_file");
      const ok = openFileAt(root, ["src", "main.ts"]);
      closeSync(ok.fd);
      const tree = walkTree(root, [], caps);
      expect(tree.entries.map((e) => `${e.type} ${e.path}`)).toEqual(["file README.md", "dir src", "file src/main.ts"]);
      expect(tree.skipped).toBe(6);
      expect(codeOf(() => walkTree(root, ["other"], caps))).toBe("not_dir");
    } finally {
      closeSync(root);
    }
    const zipRoot = openRoot(ws);
    const listed = walkTree(zipRoot, [], caps).entries;
    // The agent swaps src for a link to the host between the walk and the zip: src/main.ts is left out, nothing of the host is read.
    renameSync(join(ws, "src"), join(ws, "src-moved"));
    symlinkSync("/etc", join(ws, "src"));
    writeFileSync(join(ws, "README.md"), "# hi, and much longer now than when it was listed");
    let closed = false;
    const bytes = new Uint8Array(await new Response(zipStream(zipRoot, [], listed, () => (closed = true))).arrayBuffer());
    const files = unzipSync(bytes);
    expect(Object.keys(files)).toEqual(["README.md"]);
    // Read up to the size the walk saw: a file growing under the zip does not take it past its cap.
    expect(new TextDecoder().decode(files["README.md"])).toBe("# hi");
    expect(closed).toBe(true);
  });

  test("walks are capped", () => {
    const ws = tmp("lap-ws-big-");
    for (let i = 0; i < 30; i++) writeFileSync(join(ws, `f${String(i).padStart(2, "0")}`), "x");
    let deep = ws;
    for (let i = 0; i < 5; i++) mkdirSync((deep = join(deep, "d")));
    const root = openRoot(ws);
    try {
      expect(walkTree(root, [], { maxEntries: 10, maxDepth: 32 })).toMatchObject({ truncated: true, entries: { length: 10 } });
      const shallow = walkTree(root, [], { maxEntries: 1000, maxDepth: 2 });
      expect(shallow.truncated).toBe(true);
      expect(shallow.entries.filter((e) => e.type === "dir").map((e) => e.path)).toEqual(["d", "d/d"]);
    } finally {
      closeSync(root);
    }
  });
});

describe("placing agent files", () => {
  test("written through no link: a link at the file is replaced, a link on the way refuses the file", () => {
    const { ws, host } = trappedWorkspace();
    placeAgentFiles(ws, [
      { path: "notes/plan.md", content: new TextEncoder().encode("the plan") },
      { path: "passwd", content: new TextEncoder().encode("mine") },
    ]);
    expect(readFileSync(join(ws, "notes", "plan.md"), "utf8")).toBe("the plan");
    // The repository's link named like the agent file is gone; /etc/passwd is untouched.
    expect(readFileSync(join(ws, "passwd"), "utf8")).toBe("mine");
    expect(readFileSync("/etc/passwd", "utf8")).not.toContain("mine");
    // A link where a folder should be: refused, nothing written through it.
    symlinkSync(host, join(ws, "config"));
    expect(() => placeAgentFiles(ws, [{ path: "config/secret.txt", content: new TextEncoder().encode("overwritten") }])).toThrow(
      AgentFilePlacementError,
    );
    expect(readFileSync(join(host, "secret.txt"), "utf8")).toBe("HOST-SECRET");
    expect(readlinkSync(join(ws, "config"))).toBe(host);
    // A hard link to a host file at the name: replaced, the host file keeps its content.
    placeAgentFiles(ws, [{ path: "hard-secret", content: new TextEncoder().encode("agent file") }]);
    expect(readFileSync(join(host, "secret.txt"), "utf8")).toBe("HOST-SECRET");
    expect(readFileSync(join(ws, "hard-secret"), "utf8")).toBe("agent file");
    rmSync(ws, { recursive: true, force: true });
  });
});
