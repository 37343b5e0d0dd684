// The one script format every wire format is driven by. A rule fires when the latest user prompt
// contains `when`; its steps run one per model call, in order, each tool result moving to the next.

export type ScriptAction =
  /** Ask the harness to create a file with its own file-writing tool. */
  | { kind: "write_file"; path: string; content: string; thinking?: string }
  /** Ask the harness to run a shell command with its own shell tool. */
  | { kind: "run"; command: string; thinking?: string }
  /** Answer with text and end the turn. */
  | { kind: "text"; text: string; thinking?: string }
  /** Start streaming, then never finish: lets a test interrupt or kill the harness mid-turn. */
  | { kind: "hang"; text?: string }
  /**
   * Call the first offered tool whose name matches `tool` (a regular expression: each CLI names MCP
   * tools its own way, e.g. `mcp__everything__echo`, `everything_echo`). No match: a text answer
   * listing the tools offered, so a test sees why.
   */
  | { kind: "call_tool"; tool: string; arguments: Record<string, unknown> }
  /**
   * Several tool calls in one response (as models do for independent calls). It stands for as many
   * steps as it has calls: the step after it answers once all their results are in.
   */
  | { kind: "parallel"; actions: Exclude<ScriptAction, { kind: "parallel" | "text" | "hang" }>[] };

export type ScriptRule = { when: string; steps: ScriptAction[] };

/** What every wire format is reduced to before the script looks at it. */
export type Conversation = {
  model: string;
  tools: ToolSpec[];
  /** Text of each genuine user prompt (not tool results), oldest first, with its position. */
  messages: ConversationMessage[];
};

export type ToolSpec = { name: string; kind: "function" | "custom"; parameters: string[] };

export type ConversationMessage =
  | { role: "user"; text: string }
  | { role: "assistant"; text: string }
  | { role: "tool_result"; text: string };

/** The next action for this request, or undefined when the script has nothing to say. */
export function nextAction(rules: ScriptRule[], conversation: Conversation): ScriptAction | undefined {
  let lastUser = -1;
  for (let index = conversation.messages.length - 1; index >= 0; index--) {
    if (conversation.messages[index]!.role === "user") {
      lastUser = index;
      break;
    }
  }
  if (lastUser < 0) return undefined;
  const prompt = conversation.messages[lastUser]!.text;
  // Latest matching rule wins so a later turn can reuse an earlier phrase.
  const rule = [...rules].reverse().find((candidate) => prompt.includes(candidate.when));
  if (!rule) return undefined;
  let resultsLeft = conversation.messages.slice(lastUser + 1).filter((m) => m.role === "tool_result").length;
  for (const step of rule.steps) {
    if (resultsLeft <= 0) return step;
    resultsLeft -= step.kind === "parallel" ? step.actions.length : 1;
  }
  return { kind: "text", text: "Done." };
}

/** One thing the model emits in a response: text, reasoning or a tool call. */
export type OutputPart =
  | { type: "thinking"; text: string }
  | { type: "text"; text: string }
  | { type: "tool_call"; id: string; name: string; kind: "function" | "custom"; arguments: string };

let callCounter = 0;
export function newCallId(prefix: string): string {
  callCounter += 1;
  return `${prefix}_${Date.now().toString(36)}${callCounter}`;
}

function findTool(tools: ToolSpec[], names: string[]): ToolSpec | undefined {
  for (const name of names) {
    const tool = tools.find((t) => t.name === name);
    if (tool) return tool;
  }
  return undefined;
}

/** Turns a script action into the tool call the harness at hand understands, from the tools it sent. */
export function toOutputParts(action: ScriptAction, tools: ToolSpec[], idPrefix: string): OutputPart[] {
  const parts: OutputPart[] = [];
  if ("thinking" in action && action.thinking) parts.push({ type: "thinking", text: action.thinking });
  if (action.kind === "text") return [...parts, { type: "text", text: action.text }];
  if (action.kind === "hang") return [...parts, { type: "text", text: action.text ?? "Working on it" }];
  if (action.kind === "parallel") return [...parts, ...action.actions.flatMap((one) => toOutputParts(one, tools, idPrefix))];
  const id = newCallId(idPrefix);
  if (action.kind === "call_tool") {
    const pattern = new RegExp(action.tool);
    const tool = tools.find((t) => pattern.test(t.name));
    if (!tool) return [...parts, { type: "text", text: `NO TOOL matching ${action.tool} among: ${tools.map((t) => t.name).join(", ")}` }];
    return [...parts, { type: "tool_call", id, name: tool.name, kind: "function", arguments: JSON.stringify(action.arguments) }];
  }
  if (action.kind === "write_file") {
    const writer = findTool(tools, ["write", "Write", "write_file"]);
    if (writer) {
      // opencode names it filePath, Claude Code and DeepAgents file_path, OpenClaw path.
      const pathKey = writer.parameters.includes("filePath")
        ? "filePath"
        : writer.parameters.includes("file_path")
          ? "file_path"
          : writer.parameters.includes("path")
            ? "path"
            : "file_path";
      return [
        ...parts,
        {
          type: "tool_call",
          id,
          name: writer.name,
          kind: "function",
          arguments: JSON.stringify({ [pathKey]: action.path, content: action.content }),
        },
      ];
    }
    const patcher = findTool(tools, ["apply_patch"]);
    if (patcher) {
      const body = action.content
        .split("\n")
        .map((line) => `+${line}`)
        .join("\n");
      const patch = `*** Begin Patch\n*** Add File: ${action.path}\n${body}\n*** End Patch\n`;
      // Codex names the argument `input` (or takes it raw), opencode `patchText`.
      const args =
        patcher.kind === "custom" ? patch : JSON.stringify({ [patcher.parameters.includes("patchText") ? "patchText" : "input"]: patch });
      return [...parts, { type: "tool_call", id, name: patcher.name, kind: patcher.kind, arguments: args }];
    }
    // No file tool offered (Codex with unknown-model metadata): Codex models then send apply_patch
    // through the shell, which Codex intercepts and applies itself (a fileChange with its diff).
    const body = action.content
      .split("\n")
      .map((line) => `+${line}`)
      .join("\n");
    if (findTool(tools, ["exec_command"])) {
      return toOutputParts(
        {
          kind: "run",
          command: `apply_patch <<'PATCH'\n*** Begin Patch\n*** Add File: ${action.path}\n${body}\n*** End Patch\nPATCH`,
          thinking: action.thinking,
        },
        tools,
        idPrefix,
      );
    }
    const quoted = action.content.replaceAll("'", "'\\''");
    return toOutputParts(
      { kind: "run", command: `printf '%s' '${quoted}' > '${action.path}'`, thinking: action.thinking },
      tools,
      idPrefix,
    );
  }
  const shell = findTool(tools, ["bash", "Bash", "exec_command", "shell_command", "shell", "execute", "exec"]);
  if (!shell) throw new Error(`scripted model: no shell tool among ${tools.map((t) => t.name).join(", ")}`);
  let args: Record<string, unknown>;
  if (shell.name === "exec_command") args = { cmd: action.command };
  else if (shell.name === "shell") args = { command: ["bash", "-lc", action.command] };
  // OpenClaw's `exec` takes { command } too.
  else if (shell.name === "shell_command" || shell.name === "execute" || shell.name === "exec") args = { command: action.command };
  else args = { command: action.command, description: "Run a command" };
  return [...parts, { type: "tool_call", id, name: shell.name, kind: "function", arguments: JSON.stringify(args) }];
}
