// The harnesses an agent can run, with the one-line description the agent form shows.
// Mirrors harness/adapters/index.ts (the UI does not import harness code).
export type HarnessOption = { id: string; label: string; description: string };

export const HARNESSES: HarnessOption[] = [
  { id: "builtin", label: "Built-in agent", description: "LAP's own small agent loop: read, edit, grep, bash. Starts fastest." },
  { id: "opencode", label: "opencode", description: "opencode serve with its own tools; talks to LAP's gateway over OpenAI chat completions." },
  { id: "claude-code", label: "Claude Code", description: "Anthropic's Claude Code CLI in stream-JSON mode; talks to LAP's gateway over the Anthropic Messages API." },
  { id: "codex", label: "Codex", description: "OpenAI's Codex CLI (codex exec --json); talks to LAP's gateway over the OpenAI Responses API." },
];
