// Tool approvals for opencode: which opencode permissions an agent's `approval_required_tools` names,
// and opencode's permission events and reply. Read from opencode-ai 1.18's server (the compiled
// binary embeds its JS): a tool asks `Permission.ask({ permission, patterns, always, metadata })`, the
// bus publishes `permission.asked` `{ id, sessionID, permission, patterns, always, metadata,
// tool?: { messageID, callID } }` and `permission.replied` `{ sessionID, requestID, reply }`, and
// `POST /permission/{requestID}/reply` takes `{ reply: "once" | "always" | "reject", message? }`.
// A reject with a message is a "correction" (the loop carries on, the model reads the message); one
// without stops the loop, and any reject also rejects the session's other waiting requests.

/**
 * opencode's permission keys under the built-in harness's tool names. opencode's `write`, `edit` and
 * `apply_patch` tools all ask the `edit` permission, so `write` and `edit` both cover all three.
 */
const LAP_TO_PERMISSION: Record<string, string> = {
  bash: "bash",
  read: "read",
  write: "edit",
  edit: "edit",
  glob: "glob",
  grep: "grep",
  web_fetch: "webfetch",
  web_search: "websearch",
};

/** opencode tools whose permission key is not their own name. */
const TOOL_TO_PERMISSION: Record<string, string> = { write: "edit", apply_patch: "edit", patch: "edit", multiedit: "edit" };

/** opencode's MCP tool name: server and tool sanitized and joined by one `_` (its `mcp` module). */
const sanitize = (name: string) => name.replace(/[^a-zA-Z0-9_-]/g, "_");

/** The opencode permission a LAP name stands for: `bash` → `bash`, `write` → `edit`, `github__create_issue` → `github_create_issue`. */
export function opencodePermission(lapName: string): string {
  const known = LAP_TO_PERMISSION[lapName];
  if (known) return known;
  const split = lapName.indexOf("__");
  if (split > 0) return `${sanitize(lapName.slice(0, split))}_${sanitize(lapName.slice(split + 2))}`;
  return lapName; // opencode's own name (`task`, `webfetch`, …)
}

/** The permission an opencode tool call asks for (MCP tools ask under their own tool name). */
export function permissionOfTool(tool: string): string {
  return TOOL_TO_PERMISSION[tool] ?? tool;
}

/** opencode's `permission` config: everything allowed (LAP's sandbox is the boundary) except the listed tools, which ask. */
export function opencodePermissionConfig(required: Iterable<string>): "allow" | Record<string, "allow" | "ask"> {
  const asks = [...new Set([...required].map(opencodePermission))];
  if (!asks.length) return "allow";
  // opencode evaluates rules last match wins, so the `*` rule comes first.
  return { "*": "allow", ...Object.fromEntries(asks.map((key) => [key, "ask" as const])) };
}

/** A `permission.asked` event as the adapter uses it. */
export type PermissionAsked = { requestId: string; sessionId: string; permission: string; callId: string | undefined };

export function parsePermissionAsked(properties: Record<string, unknown> | undefined): PermissionAsked | undefined {
  if (!properties || typeof properties.id !== "string" || typeof properties.sessionID !== "string") return undefined;
  const tool = properties.tool as { callID?: unknown } | undefined;
  return {
    requestId: properties.id,
    sessionId: properties.sessionID,
    permission: String(properties.permission ?? ""),
    callId: typeof tool?.callID === "string" ? tool.callID : undefined,
  };
}

/** The body of `POST /permission/{requestID}/reply`. */
export function replyBody(result: "allow" | "deny", message?: string): { reply: "once" | "reject"; message?: string } {
  return result === "allow" ? { reply: "once" } : { reply: "reject", ...(message ? { message } : {}) };
}
