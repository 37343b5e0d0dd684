// Turns any harness's tool call (agent.tool_use + its agent.tool_result) into something a person
// reads at a glance: a command with its output, or a file change as a diff. Tool names differ per
// harness (Claude Code: Bash/Write/Edit; opencode: bash/write/edit/apply_patch; Codex:
// command_execution/file_change with each file's diff; built-in: bash/write/edit; DeepAgents:
// execute/write_file/edit_file; OpenClaw: exec/write/edit), the views do not.

export type DiffLine = { op: " " | "+" | "-"; text: string };
export type ToolView =
  | { kind: "command"; command: string; output: string; isError: boolean }
  | { kind: "file"; path: string; diff: DiffLine[]; summary?: string; output: string; isError: boolean }
  | { kind: "other"; name: string; input: string; output: string; isError: boolean };

export type ToolUse = { name: string; input?: unknown };
export type ToolResult = { content?: unknown; is_error?: boolean };

const COMMAND_TOOLS = new Set(["bash", "command_execution", "exec_command", "shell", "shell_command", "execute", "exec"]);
const WRITE_TOOLS = new Set(["write", "write_file"]);
const EDIT_TOOLS = new Set(["edit", "multiedit", "edit_file"]);
const MAX_DIFF_LINES = 400;

export function resultText(result: ToolResult | undefined): string {
  const content = result?.content;
  if (typeof content === "string") return content;
  if (Array.isArray(content))
    return content.map((part) => (part && typeof part === "object" && "text" in part ? String(part.text) : "")).join("");
  return content == null ? "" : JSON.stringify(content);
}

const str = (record: Record<string, unknown>, ...keys: string[]) => {
  for (const key of keys) if (typeof record[key] === "string") return record[key] as string;
  return undefined;
};

/** Line diff by longest common subsequence (inputs are capped so this stays cheap). */
export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before.split("\n").slice(0, MAX_DIFF_LINES);
  const b = after.split("\n").slice(0, MAX_DIFF_LINES);
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--)
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ op: " ", text: a[i]! });
      i++;
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) out.push({ op: "-", text: a[i++]! });
    else out.push({ op: "+", text: b[j++]! });
  }
  while (i < a.length) out.push({ op: "-", text: a[i++]! });
  while (j < b.length) out.push({ op: "+", text: b[j++]! });
  return out;
}

/** The file and diff lines of an apply_patch body (`*** Add File:` / `*** Update File:` sections). */
export function parsePatch(patch: string): { path: string; diff: DiffLine[] } {
  let path = "";
  const diff: DiffLine[] = [];
  for (const line of patch.split("\n")) {
    const header = /^\*\*\* (?:Add|Update|Delete) File: (.+)$/.exec(line);
    if (header) {
      path ||= header[1]!.trim();
      continue;
    }
    if (line.startsWith("***") || line.startsWith("@@")) continue;
    if (line.startsWith("+")) diff.push({ op: "+", text: line.slice(1) });
    else if (line.startsWith("-")) diff.push({ op: "-", text: line.slice(1) });
    else if (line.startsWith(" ")) diff.push({ op: " ", text: line.slice(1) });
  }
  return { path, diff };
}

/**
 * The diff of one Codex file change: an added file's diff is its content, a deleted one's the old
 * content, an update's a unified diff (its `---`/`+++`/`@@` headers dropped).
 */
export function codexChangeDiff(kind: string | undefined, diff: string | undefined): DiffLine[] {
  if (!diff) return [];
  const lines = diff.replace(/\n$/, "").split("\n").slice(0, MAX_DIFF_LINES);
  if (kind === "add") return lines.map((text) => ({ op: "+", text }));
  if (kind === "delete") return lines.map((text) => ({ op: "-", text }));
  const out: DiffLine[] = [];
  for (const line of lines) {
    if (/^(---|\+\+\+|@@|diff --git|index )/.test(line)) continue;
    if (line.startsWith("+")) out.push({ op: "+", text: line.slice(1) });
    else if (line.startsWith("-")) out.push({ op: "-", text: line.slice(1) });
    else if (line.startsWith(" ")) out.push({ op: " ", text: line.slice(1) });
  }
  return out;
}

const SINGLE_QUOTED_SHELL = /^(?:\/(?:usr\/)?bin\/)?(?:ba|z)?sh -l?c '((?:[^']|'\\'')*)'$/;
const DOUBLE_QUOTED_SHELL = /^(?:\/(?:usr\/)?bin\/)?(?:ba|z)?sh -l?c "((?:[^"\\]|\\.)*)"$/;

/** Codex runs every command as `/bin/bash -lc '<command>'`: show the command the model asked for. */
export function unwrapShell(command: string): string {
  const single = SINGLE_QUOTED_SHELL.exec(command);
  if (single) return single[1]!.replaceAll("'\\''", "'");
  const double = DOUBLE_QUOTED_SHELL.exec(command);
  if (double) return double[1]!.replace(/\\(.)/g, "$1");
  return command;
}

export function describeToolCall(use: ToolUse, result?: ToolResult): ToolView {
  const input = (use.input && typeof use.input === "object" ? use.input : {}) as Record<string, unknown>;
  const name = use.name.toLowerCase();
  const output = resultText(result);
  const isError = result?.is_error === true;
  if (COMMAND_TOOLS.has(name)) {
    const raw = input.command ?? input.cmd;
    const command = Array.isArray(raw) ? raw.map(String).join(" ") : String(raw ?? "");
    return { kind: "command", command: unwrapShell(command), output, isError };
  }
  if (WRITE_TOOLS.has(name)) {
    const content = str(input, "content") ?? "";
    return {
      kind: "file",
      path: str(input, "file_path", "filePath", "path") ?? "",
      diff: content.split("\n").map((text) => ({ op: "+", text })),
      summary: "new file",
      output,
      isError,
    };
  }
  if (EDIT_TOOLS.has(name)) {
    const before = str(input, "old_string", "oldString") ?? "";
    const after = str(input, "new_string", "newString") ?? "";
    return { kind: "file", path: str(input, "file_path", "filePath", "path") ?? "", diff: lineDiff(before, after), output, isError };
  }
  if (name === "apply_patch") {
    const { path, diff } = parsePatch(str(input, "patchText", "input", "patch") ?? "");
    return { kind: "file", path, diff, output, isError };
  }
  if (name === "file_change" && Array.isArray(input.changes)) {
    const changes = input.changes as { path?: string; kind?: string; diff?: string }[];
    return {
      kind: "file",
      path: changes.map((change) => change.path ?? "").join(", "),
      diff: changes.flatMap((change) => codexChangeDiff(change.kind, change.diff)),
      summary: changes.map((change) => change.kind ?? "changed").join(", "),
      output,
      isError,
    };
  }
  return { kind: "other", name: use.name, input: JSON.stringify(use.input ?? {}, null, 2), output, isError };
}
