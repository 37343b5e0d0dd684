/**
 * Keeping a pod's workspace from the zip its supervisor sends (./archive.ts): the zip is the sandbox's,
 * so names that climb out, absolute names, `.git` and archives over the caps keep nothing (and nothing is
 * written outside LAP_DATA_DIR/workspaces); a good one replaces the stale copy of the same workspace.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { zipSync } from "fflate";
import { ArchiveRefused, keepWorkspaceArchive } from "./archive";

const streamOf = (bytes: Uint8Array, chunk = 7) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < bytes.length; i += chunk) c.enqueue(bytes.subarray(i, i + chunk));
      c.close();
    },
  });
const enc = (s: string) => new TextEncoder().encode(s);
const caps = { maxBytes: 1024 * 1024, maxFiles: 100 };

function dirs() {
  const base = mkdtempSync(join(tmpdir(), "lap-archive-"));
  const workspaces = join(base, "workspaces");
  return { base, workspaces };
}

describe("keeping a pod's workspace", () => {
  test("a good zip is unpacked (in chunks) and replaces the stale copy", async () => {
    const { workspaces } = dirs();
    mkdirSync(join(workspaces, "ws_a"), { recursive: true });
    writeFileSync(join(workspaces, "ws_a", "stale.txt"), "old");
    const zip = zipSync({ "plan.md": enc("ship it"), "src/deep/x.ts": enc("export {}"), "empty/": new Uint8Array() });
    expect(await keepWorkspaceArchive(workspaces, "ws_a", streamOf(zip), caps)).toEqual({ files: 2, bytes: 16 });
    expect(readFileSync(join(workspaces, "ws_a", "plan.md"), "utf8")).toBe("ship it");
    expect(readFileSync(join(workspaces, "ws_a", "src/deep/x.ts"), "utf8")).toBe("export {}");
    expect(existsSync(join(workspaces, "ws_a", "stale.txt"))).toBe(false);
    expect(readdirSync(workspaces)).toEqual(["ws_a"]); // no partial folder left
  });

  test("names that climb out, absolute names and .git keep nothing and write nothing outside", async () => {
    const { base, workspaces } = dirs();
    for (const name of ["../escape.txt", "/tmp/abs.txt", "a/../../escape.txt", ".git/hooks/post-checkout", "a\\..\\b"]) {
      const zip = zipSync({ "fine.txt": enc("ok"), [name]: enc("evil") });
      await expect(keepWorkspaceArchive(workspaces, "ws_b", streamOf(zip), caps)).rejects.toBeInstanceOf(ArchiveRefused);
    }
    expect(existsSync(join(base, "escape.txt"))).toBe(false);
    expect(readdirSync(workspaces)).toEqual([]);
  });

  test("over the byte or file cap, or a bad workspace id: nothing kept", async () => {
    const { workspaces } = dirs();
    const big = zipSync({ "a.bin": new Uint8Array(5000) });
    await expect(keepWorkspaceArchive(workspaces, "ws_c", streamOf(big, 512), { maxBytes: 4096, maxFiles: 10 })).rejects.toThrow(
      "more than 4096 bytes",
    );
    const many = zipSync(Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`f${i}.txt`, enc("x")])));
    await expect(keepWorkspaceArchive(workspaces, "ws_c", streamOf(many), { maxBytes: 4096, maxFiles: 3 })).rejects.toThrow(
      "more than 3 files",
    );
    await expect(keepWorkspaceArchive(workspaces, "../ws", streamOf(zipSync({})), caps)).rejects.toBeInstanceOf(ArchiveRefused);
    expect(readdirSync(workspaces)).toEqual([]);
  });
});
