// Picks the adapter for an agent's harness. The supervisor (harness/) drives whichever it gets
// through the HarnessAdapter interface; see README.md in this folder.
import { ClaudeCodeAdapter } from "./claude-code/index.ts";
import { CodexAdapter } from "./codex/index.ts";
import { DeepAgentsAdapter } from "./deepagents/index.ts";
import { OpenclawAdapter } from "./openclaw/index.ts";
import { OpencodeAdapter } from "./opencode/index.ts";
import type { HarnessAdapter, HarnessConfig, HarnessName } from "./types.ts";

export {
  HARNESS_NAMES,
  type HarnessAdapter,
  type HarnessConfig,
  type HarnessEvent,
  type HarnessName,
  type HistoryEntry,
  type TurnResult,
} from "./types.ts";
export { harnessBinary } from "./binaries.ts";

export type RunningHarness = HarnessAdapter & { pid(): number | undefined };

export function createHarnessAdapter(name: HarnessName, config: HarnessConfig): RunningHarness {
  switch (name) {
    case "opencode":
      return new OpencodeAdapter(config);
    case "claude-code":
      return new ClaudeCodeAdapter(config);
    case "codex":
      return new CodexAdapter(config);
    case "deepagents":
      return new DeepAgentsAdapter(config);
    case "openclaw":
      return new OpenclawAdapter(config);
  }
}

/** One line per harness for the agent form. */
export const HARNESS_DESCRIPTIONS: Record<HarnessName, string> = {
  opencode: "opencode serve with its own tools (bash, edit, write, patch); talks to LAP's gateway over OpenAI chat completions.",
  "claude-code": "Anthropic's Claude Code CLI in stream-JSON mode; talks to LAP's gateway over the Anthropic Messages API.",
  codex:
    "OpenAI's Codex CLI as a long-lived codex app-server (streamed replies, file changes as diffs); talks to LAP's gateway over the OpenAI Responses API.",
  deepagents:
    "LangChain's DeepAgents (LangGraph JS) with its own tools (execute, write_file, edit_file, glob, grep, sub-agents); talks to LAP's gateway over OpenAI chat completions.",
  openclaw:
    "OpenClaw's agent behind its own Gateway, driven over ACP (openclaw acp) with its tools (exec, write, edit, apply_patch, read); talks to LAP's gateway over OpenAI chat completions. Needs Node 26, installed apart (node scripts/bootstrap.mjs openclaw).",
};
