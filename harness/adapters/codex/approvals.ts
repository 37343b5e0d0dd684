// Tool approvals for Codex: which of its approval requests an agent's `approval_required_tools` names,
// and the app-server's wire shapes for them (codex 0.169 `codex app-server generate-ts`:
// ServerRequest.ts, v2/CommandExecutionRequestApprovalParams.ts, v2/FileChangeRequestApprovalParams.ts,
// v2/CommandExecutionApprovalDecision.ts, v2/FileChangeApprovalDecision.ts, v2/TurnSteerParams.ts).
// With approval-required tools the thread runs with approvalPolicy "untrusted" (accepted on
// thread/start and thread/resume; config.toml no longer takes it), under which Codex sends the client
// a request before every file change and every command (read-only ones such as `ls` too, checked
// with codex 0.169). The server's request is a JSON-RPC request:
//   { id, method: "item/commandExecution/requestApproval", params: { threadId, turnId, itemId, command, ... } }
//   { id, method: "item/fileChange/requestApproval",       params: { threadId, turnId, itemId, ... } }
// answered with `{ decision: "accept" | "decline" | "cancel" }` ("cancel" also ends Codex's turn).
// The item (`item/started`) comes before its request, and `itemId` is the tool call's id.

export const COMMAND_APPROVAL = "item/commandExecution/requestApproval";
export const FILE_CHANGE_APPROVAL = "item/fileChange/requestApproval";

export type ApprovalKind = "command" | "file_change";

/** LAP's names for what Codex asks about: the built-in harness's (`bash`, `write`/`edit`) and Codex's own item names. */
const NAMES: Record<ApprovalKind, string[]> = {
  command: ["bash", "command_execution", "exec_command", "shell"],
  file_change: ["write", "edit", "file_change", "apply_patch"],
};

/** The kind of approval a server request asks for, or undefined for any other request. */
export function approvalKind(method: string): ApprovalKind | undefined {
  if (method === COMMAND_APPROVAL) return "command";
  if (method === FILE_CHANGE_APPROVAL) return "file_change";
  return undefined;
}

/** The kind of approval a Codex item would ask for (item/started), or undefined if Codex never asks for it. */
export function itemApprovalKind(itemType: string): ApprovalKind | undefined {
  if (itemType === "commandExecution") return "command";
  if (itemType === "fileChange") return "file_change";
  return undefined;
}

/** Whether a call of this kind waits for a person: any of its names is in the agent's list. */
export function needsApproval(kind: ApprovalKind, required: ReadonlySet<string>): boolean {
  return NAMES[kind].some((name) => required.has(name));
}

/** The part of an approval request the adapter uses. */
export type ApprovalRequest = { requestId: number | string; itemId: string; threadId: string; turnId: string; kind: ApprovalKind };

export function parseApprovalRequest(id: number | string, method: string, params: Record<string, unknown>): ApprovalRequest | undefined {
  const kind = approvalKind(method);
  if (!kind || typeof params.itemId !== "string") return undefined;
  return { requestId: id, itemId: params.itemId, threadId: String(params.threadId ?? ""), turnId: String(params.turnId ?? ""), kind };
}

export type ApprovalDecision = "accept" | "decline" | "cancel";
