/**
 * What to type in the agent form's "Ask before using" field, for the runtime and harness chosen
 * (docs/approvals.md is the source: which harnesses ask and under which names).
 */
const BUILTIN_TOOLS = ["bash", "read", "write", "edit", "glob", "grep", "web_fetch"];
const CLAUDE_CODE_TOOLS = ["Bash", "Read", "Write", "Edit", "Glob", "Grep", "WebFetch", "WebSearch", "Task"];

export interface ApprovalHint {
  /** Whether the chosen harness asks at all; the field does nothing when it does not. */
  asks: boolean;
  text: string;
}

/** `runtime` is the chosen runtime's kind: a LAP sandbox (harness chosen), a remote Managed Agents one, or none yet. */
export function approvalToolHint(harness: string, runtime: "sandbox" | "remote" | "none"): ApprovalHint {
  if (runtime === "remote")
    return { asks: true, text: "the remote runtime's tool names, asked about through its toolset's always_ask policy" };
  if (harness === "claude-code") {
    return {
      asks: true,
      text: `${[...BUILTIN_TOOLS, "web_search"].join(", ")} or Claude Code's own names (${CLAUDE_CODE_TOOLS.join(", ")}); MCP tools as server__tool or mcp__server__tool`,
    };
  }
  if (harness === "builtin" || harness === "default") return { asks: true, text: `${BUILTIN_TOOLS.join(", ")}; MCP tools as server__tool` };
  if (harness === "codex")
    return {
      asks: true,
      text: "bash (every command, read-only ones too) and write or edit (every file change); Codex does not ask before MCP tools",
    };
  if (harness === "deepagents")
    return {
      asks: true,
      text: "bash, read, write, edit, glob, grep, ls or DeepAgents' own names (execute, write_file, edit_file, read_file, delete, task); MCP tools as server__tool",
    };
  if (harness === "openclaw")
    return {
      asks: true,
      text: "bash (or exec): every shell command waits for a person; OpenClaw has no approvals for its file tools or MCP tools",
    };
  if (harness === "opencode")
    return {
      asks: true,
      text: `${[...BUILTIN_TOOLS, "web_search"].join(", ")} or opencode's own permission names (task, list, …); MCP tools as server__tool`,
    };
  return { asks: false, text: "this harness runs every tool without asking (the sandbox is the boundary); the list has no effect" };
}
