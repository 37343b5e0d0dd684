// Tool approvals for Claude Code: which of its tools an agent's `approval_required_tools` names, and
// the stream-JSON permission protocol (`--permission-prompt-tool stdio`) it asks through. The wire
// format is the one @anthropic-ai/claude-agent-sdk's `canUseTool` speaks (sdk.mjs
// `processControlRequest` / `handleControlRequest`, sdk.d.ts `SDKControlPermissionRequest` and
// `PermissionResult`): the CLI writes a `control_request` with subtype `can_use_tool` and waits for a
// `control_response` carrying `{ behavior: "allow", updatedInput } | { behavior: "deny", message, interrupt? }`.

/**
 * Claude Code's built-in tools under the built-in harness's names, so one agent setting means the same
 * on both harnesses. Every file-changing tool counts as `edit`/`write` as the built-in agent's would.
 */
const LAP_TOOL_NAMES: Record<string, string> = {
  Bash: "bash",
  Read: "read",
  Write: "write",
  Edit: "edit",
  MultiEdit: "edit",
  NotebookEdit: "edit",
  Glob: "glob",
  Grep: "grep",
  WebFetch: "web_fetch",
  WebSearch: "web_search",
};

/** LAP's name for a Claude Code tool: `Bash` → `bash`, `mcp__github__create_issue` → `github__create_issue`. */
export function lapToolName(claudeName: string): string {
  if (claudeName.startsWith("mcp__")) return claudeName.slice("mcp__".length);
  return LAP_TOOL_NAMES[claudeName] ?? claudeName;
}

/**
 * Claude Code `ask` permission rules for the agent's list: each name as Claude Code spells it (every
 * Claude Code tool LAP's name covers, `server__tool` as `mcp__server__tool`), and as given. Ask rules
 * hold in `bypassPermissions` mode, where nothing else asks; without them Claude Code's default mode
 * would let read-only calls (`Read` in the workspace, `ls`) through without asking.
 */
export function claudeAskRules(required: Iterable<string>): string[] {
  const rules = new Set<string>();
  for (const name of required) {
    rules.add(name);
    for (const [claude, lap] of Object.entries(LAP_TOOL_NAMES)) if (lap === name) rules.add(claude);
    if (name.includes("__") && !name.startsWith("mcp__")) rules.add(`mcp__${name}`);
  }
  return [...rules];
}

/** Whether a Claude Code tool call waits for a person: listed under LAP's name or Claude Code's own. */
export function needsApproval(claudeName: string, required: ReadonlySet<string>): boolean {
  return required.has(claudeName) || required.has(lapToolName(claudeName));
}

/** The part of a `can_use_tool` request the adapter uses. */
export type PermissionRequest = { requestId: string; toolName: string; toolUseId: string; input: Record<string, unknown> };

/** A `control_request` asking whether a tool may run, or undefined for any other line. */
export function parsePermissionRequest(line: string): PermissionRequest | undefined {
  if (!line.includes('"can_use_tool"')) return undefined;
  let record: {
    type?: unknown;
    request_id?: unknown;
    request?: { subtype?: unknown; tool_name?: unknown; tool_use_id?: unknown; input?: unknown };
  };
  try {
    record = JSON.parse(line) as typeof record;
  } catch {
    return undefined;
  }
  const request = record.request;
  if (record.type !== "control_request" || request?.subtype !== "can_use_tool" || typeof record.request_id !== "string") return undefined;
  const input = request.input && typeof request.input === "object" ? (request.input as Record<string, unknown>) : {};
  return { requestId: record.request_id, toolName: String(request.tool_name ?? ""), toolUseId: String(request.tool_use_id ?? ""), input };
}

/** The request id of a `control_cancel_request` (the CLI no longer waits for that answer), or undefined. */
export function parseCancelRequest(line: string): string | undefined {
  if (!line.includes('"control_cancel_request"')) return undefined;
  try {
    const record = JSON.parse(line) as { type?: unknown; request_id?: unknown };
    return record.type === "control_cancel_request" && typeof record.request_id === "string" ? record.request_id : undefined;
  } catch {
    return undefined;
  }
}

/** The CLI runs the tool (with its input unchanged). */
export function allowResponse(request: PermissionRequest): string {
  return controlResponse(request.requestId, { behavior: "allow", updatedInput: request.input, toolUseID: request.toolUseId });
}

/**
 * The CLI does not run the tool; the model gets `message` as the tool's (error) result. With
 * `interrupt` the CLI also ends its turn (its own refusal text replaces the message).
 */
export function denyResponse(request: PermissionRequest, message: string, interrupt = false): string {
  return controlResponse(request.requestId, {
    behavior: "deny",
    message,
    toolUseID: request.toolUseId,
    ...(interrupt ? { interrupt: true } : {}),
  });
}

function controlResponse(requestId: string, response: Record<string, unknown>): string {
  return JSON.stringify({ type: "control_response", response: { subtype: "success", request_id: requestId, response } });
}

/** What the model reads when a person denies a call (the built-in harness's wording). */
export function denialMessage(denyMessage: string | undefined): string {
  const why = denyMessage?.trim();
  return `The user denied this tool call${why ? `: ${why}` : "."} Do not retry it unchanged.`;
}
