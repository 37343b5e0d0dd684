import { expect, test } from "bun:test";
import { approvalToolHint } from "./approval-tools";

test("the hint names the tools that ask for the chosen harness", () => {
  expect(approvalToolHint("builtin", "sandbox")).toEqual({
    asks: true,
    text: "bash, read, write, edit, glob, grep, web_fetch; MCP tools as server__tool",
  });
  const claude = approvalToolHint("claude-code", "sandbox");
  expect(claude.asks).toBe(true);
  expect(claude.text).toContain("Bash");
  expect(claude.text).toContain("web_search");
  expect(claude.text).toContain("mcp__server__tool");
  expect(approvalToolHint("builtin", "sandbox").text).not.toContain("Bash");
  expect(approvalToolHint("opencode", "sandbox").asks).toBe(true);
  expect(approvalToolHint("opencode", "sandbox").text).toContain("opencode's own permission names");
  expect(approvalToolHint("codex", "sandbox")).toMatchObject({ asks: true, text: expect.stringContaining("every file change") });
  expect(approvalToolHint("openclaw", "sandbox")).toMatchObject({ asks: true, text: expect.stringContaining("every shell command") });
  expect(approvalToolHint("some-future-harness", "sandbox").asks).toBe(false);
  expect(approvalToolHint("builtin", "remote").text).toContain("always_ask");
  expect(approvalToolHint("builtin", "none").text).toContain("web_fetch");
  expect(approvalToolHint("builtin", "remote").asks).toBe(true);
});
