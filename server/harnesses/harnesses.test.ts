import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestApp, type TestApp } from "../../test/support/app";
import pkg from "../../package.json";
import { OPENCLAW_VERSION } from "../../harness/adapters/binaries.ts";
import { OPENCLAW_MISSING } from "../../test/support/skip.ts";
import { listHarnesses } from "./service";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
}, 60_000);
afterAll(() => t.close());

test("GET /api/harnesses needs a key", async () => {
  expect((await t.request("GET", "/api/harnesses", { key: null })).status).toBe(401);
});

test("GET /api/harnesses lists every harness with its description and the installed CLI version and binary", async () => {
  const { status, body } = await t.json("GET", "/api/harnesses");
  expect(status).toBe(200);
  expect(body.data.map((h: { id: string }) => h.id)).toEqual(["builtin", "opencode", "claude-code", "codex", "deepagents", "openclaw"]);
  const deps = pkg.dependencies as Record<string, string>;
  // OpenClaw is installed apart from LAP's dependencies (node scripts/bootstrap.mjs openclaw), or not at all.
  const openclaw = body.data.find((h: { id: string }) => h.id === "openclaw");
  expect(openclaw.installed).toBe(OPENCLAW_MISSING === null);
  if (OPENCLAW_MISSING) expect(openclaw.problem).toContain("bootstrap.mjs openclaw");
  else expect(openclaw.version).toBe(OPENCLAW_VERSION);
  for (const harness of body.data.slice(1, -1)) {
    expect(harness.installed).toBe(true);
    expect(harness.problem).toBeNull();
    expect(harness.description.length).toBeGreaterThan(20);
    expect(deps[harness.package]).toContain(harness.version);
    expect(harness.binary).toContain("node_modules");
  }
});

test("a CLI that is not installed is reported with the reason, not hidden", () => {
  const list = listHarnesses({
    binary: (name) => {
      if (name === "codex") throw new Error("codex: package @openai/codex-linux-x64 is not installed (bun add @openai/codex)");
      return "/bin/sh";
    },
    version: () => "9.9.9",
  });
  const codex = list.find((h) => h.id === "codex")!;
  expect(codex).toMatchObject({ installed: false, version: null, binary: null });
  expect(codex.problem).toContain("not installed");
  expect(list.find((h) => h.id === "opencode")).toMatchObject({ installed: true, version: "9.9.9", binary: "/bin/sh" });
  // A path that exists but cannot be executed is not "installed" either.
  const plain = join(mkdtempSync(join(tmpdir(), "lap-harness-info-")), "not-a-binary");
  writeFileSync(plain, "text", { mode: 0o644 });
  const notExecutable = listHarnesses({ binary: () => plain, version: () => "1" });
  // DeepAgents' entry is run by LAP's Bun and OpenClaw's by its own Node: neither need be executable.
  const clis = notExecutable.filter((h) => !["builtin", "deepagents", "openclaw"].includes(h.id));
  expect(clis.every((h) => !h.installed)).toBe(true);
  // DeepAgents is a library LAP's Bun runs: its package entry needs to exist, not to be executable.
  expect(notExecutable.find((h) => h.id === "deepagents")).toMatchObject({ installed: true, binary: plain });
  const missing = listHarnesses({ binary: () => join(tmpdir(), "no-such-entry.js"), version: () => "1" });
  expect(missing.find((h) => h.id === "deepagents")).toMatchObject({ installed: false });
});
