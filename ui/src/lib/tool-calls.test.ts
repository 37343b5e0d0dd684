import { expect, test } from "bun:test";
import { describeToolCall, lineDiff, parsePatch } from "./tool-calls";

// Tool calls exactly as each harness adapter emits them (see harness/adapters/*/translate.ts).
test("commands from every harness read as `$ command` with their output", () => {
  const output = { content: [{ type: "text", text: "hello\n" }], is_error: false };
  expect(describeToolCall({ name: "Bash", input: { command: "echo hello", description: "x" } }, output)).toEqual({
    kind: "command",
    command: "echo hello",
    output: "hello\n",
    isError: false,
  });
  expect(describeToolCall({ name: "bash", input: { command: "echo hello" } }, output)).toMatchObject({
    kind: "command",
    command: "echo hello",
  });
  // Codex wraps every command in a login shell; the view shows the command itself.
  expect(describeToolCall({ name: "command_execution", input: { command: "/bin/bash -lc 'echo hello'" } }, output)).toMatchObject({
    kind: "command",
    command: "echo hello",
  });
  expect(
    describeToolCall({ name: "command_execution", input: { command: `/bin/bash -lc "printf '%s' \\"hi\\" > '/tmp/x.txt'"` } }),
  ).toMatchObject({ command: `printf '%s' "hi" > '/tmp/x.txt'` });
  expect(describeToolCall({ name: "command_execution", input: { command: `/bin/bash -lc 'echo '\\''quoted'\\'''` } })).toMatchObject({
    command: "echo 'quoted'",
  });
  // Not one quoted argument: shown as it is.
  expect(describeToolCall({ name: "command_execution", input: { command: "bash -lc 'a' && b 'c'" } })).toMatchObject({
    command: "bash -lc 'a' && b 'c'",
  });
  expect(describeToolCall({ name: "shell", input: { command: ["bash", "-lc", "ls"] } })).toMatchObject({
    kind: "command",
    command: "bash -lc ls",
    output: "",
  });
  expect(
    describeToolCall({ name: "bash", input: { command: "false" } }, { content: [{ type: "text", text: "exit 1" }], is_error: true })
      .isError,
  ).toBe(true);
  // OpenClaw's shell tool.
  expect(describeToolCall({ name: "exec", input: { command: "ls" } }, output)).toMatchObject({ kind: "command", command: "ls" });
  // DeepAgents' shell tool.
  expect(describeToolCall({ name: "execute", input: { command: "echo hello" } }, output)).toMatchObject({
    kind: "command",
    command: "echo hello",
    output: "hello\n",
  });
});

test("file writes and edits read as diffs", () => {
  expect(describeToolCall({ name: "Write", input: { file_path: "/w/a.txt", content: "one\ntwo" } })).toMatchObject({
    kind: "file",
    path: "/w/a.txt",
    summary: "new file",
    diff: [
      { op: "+", text: "one" },
      { op: "+", text: "two" },
    ],
  });
  expect(describeToolCall({ name: "edit", input: { filePath: "/w/a.ts", oldString: "a\nb\nc", newString: "a\nB\nc" } })).toMatchObject({
    kind: "file",
    path: "/w/a.ts",
    diff: [
      { op: " ", text: "a" },
      { op: "-", text: "b" },
      { op: "+", text: "B" },
      { op: " ", text: "c" },
    ],
  });
  expect(
    describeToolCall({ name: "apply_patch", input: { patchText: "*** Begin Patch\n*** Add File: /w/r.md\n+# hi\n*** End Patch\n" } }),
  ).toMatchObject({
    kind: "file",
    path: "/w/r.md",
    diff: [{ op: "+", text: "# hi" }],
  });
  expect(describeToolCall({ name: "file_change", input: { changes: [{ path: "/w/x", kind: "add" }] } })).toMatchObject({
    kind: "file",
    path: "/w/x",
    summary: "add",
    diff: [],
  });
  // DeepAgents' file tools.
  expect(describeToolCall({ name: "write_file", input: { file_path: "/w/d.txt", content: "x" } })).toMatchObject({
    kind: "file",
    path: "/w/d.txt",
    summary: "new file",
    diff: [{ op: "+", text: "x" }],
  });
  expect(describeToolCall({ name: "edit_file", input: { file_path: "/w/d.txt", old_string: "x", new_string: "y" } })).toMatchObject({
    kind: "file",
    path: "/w/d.txt",
    diff: [
      { op: "-", text: "x" },
      { op: "+", text: "y" },
    ],
  });
});

test("Codex file changes read as diffs: an added file's content, an update's unified diff", () => {
  // As harness/adapters/codex/translate.ts emits them from the app server's fileChange items.
  expect(
    describeToolCall({ name: "file_change", input: { changes: [{ path: "/w/a.txt", kind: "add", diff: "line one\nline two\n" }] } }),
  ).toMatchObject({
    kind: "file",
    path: "/w/a.txt",
    summary: "add",
    diff: [
      { op: "+", text: "line one" },
      { op: "+", text: "line two" },
    ],
  });
  expect(
    describeToolCall({
      name: "file_change",
      input: { changes: [{ path: "/w/a.txt", kind: "update", diff: "@@ -1,2 +1,2 @@\n line one\n-line two\n+line 2\n" }] },
    }),
  ).toMatchObject({
    kind: "file",
    summary: "update",
    diff: [
      { op: " ", text: "line one" },
      { op: "-", text: "line two" },
      { op: "+", text: "line 2" },
    ],
  });
  const two = describeToolCall({
    name: "file_change",
    input: {
      changes: [
        { path: "/w/old", kind: "delete", diff: "gone\n" },
        { path: "/w/new", kind: "add", diff: "here" },
      ],
    },
  });
  expect(two).toMatchObject({
    path: "/w/old, /w/new",
    summary: "delete, add",
    diff: [
      { op: "-", text: "gone" },
      { op: "+", text: "here" },
    ],
  });
});

test("unknown tools fall back to their JSON input and output", () => {
  const view = describeToolCall({ name: "webfetch", input: { url: "https://example.com" } }, { content: "ok" });
  expect(view).toEqual({ kind: "other", name: "webfetch", input: '{\n  "url": "https://example.com"\n}', output: "ok", isError: false });
});

test("lineDiff and parsePatch", () => {
  expect(lineDiff("x", "x")).toEqual([{ op: " ", text: "x" }]);
  expect(lineDiff("", "y").filter((line) => line.op !== " ")).toEqual([
    { op: "-", text: "" },
    { op: "+", text: "y" },
  ]);
  expect(parsePatch("*** Update File: a.ts\n@@\n-old\n+new\n keep")).toEqual({
    path: "a.ts",
    diff: [
      { op: "-", text: "old" },
      { op: "+", text: "new" },
      { op: " ", text: "keep" },
    ],
  });
});
