// The contract between LAP's in-sandbox supervisor and one harness CLI. Adapters never import
// server/ code: harness/ is a separate program that runs inside the sandbox.
import type { Attachment } from "./attachments.ts";

/**
 * LAP's normalized events (../shared/DESIGN.md), in the stored shape the dashboard reads
 * (schema/session-events.ts, the Managed Agents event shape).
 */
export type TextContent = { type: "text"; text: string }[];
export type HarnessEvent =
  | { type: "session.status_running" }
  /**
   * A text delta of the agent's reply. With `restarted` (and no content) the CLI tried its model call
   * again after it was cut (a LAP restart): the message starts again here (restarts.ts).
   */
  | { type: "agent.message"; content: TextContent; restarted?: { reason: string; attempt: number } }
  | { type: "agent.thinking"; thinking: string }
  /** `evaluated_permission` is set when the harness checks permissions: "ask" waits for a person (docs/approvals.md). */
  | { type: "agent.tool_use"; id: string; name: string; input: Record<string, unknown>; evaluated_permission?: "ask" | "allow" }
  | { type: "agent.tool_result"; tool_use_id: string; content: TextContent; is_error: boolean }
  | { type: "session.status_idle"; stop_reason: { type: "end_turn" | "interrupted" } | { type: "requires_action"; event_ids: string[] } }
  | { type: "session.error"; error: { code: HarnessErrorCode; message: string } };

/** Builders, so every adapter emits exactly the same shapes. */
export const events = {
  message: (text: string): HarnessEvent => ({ type: "agent.message", content: [{ type: "text", text }] }),
  thinking: (text: string): HarnessEvent => ({ type: "agent.thinking", thinking: text }),
  restarted: (reason: string, attempt: number): HarnessEvent => ({ type: "agent.message", content: [], restarted: { reason, attempt } }),
  toolUse: (id: string, name: string, input: Record<string, unknown>, permission?: "ask" | "allow"): HarnessEvent => ({
    type: "agent.tool_use",
    id,
    name,
    input,
    ...(permission ? { evaluated_permission: permission } : {}),
  }),
  toolResult: (toolUseId: string, output: string, isError: boolean): HarnessEvent => ({
    type: "agent.tool_result",
    tool_use_id: toolUseId,
    content: [{ type: "text", text: output }],
    is_error: isError,
  }),
  idle: (reason: "end_turn" | "interrupted"): HarnessEvent => ({ type: "session.status_idle", stop_reason: { type: reason } }),
  /** The turn ends waiting for a decision on these tool calls (Managed Agents `requires_action`). */
  requiresAction: (toolUseIds: string[]): HarnessEvent => ({
    type: "session.status_idle",
    stop_reason: { type: "requires_action", event_ids: toolUseIds },
  }),
  error: (code: HarnessErrorCode, message: string): HarnessEvent => ({ type: "session.error", error: { code, message } }),
};

/** The text of an event's content parts. */
export const contentText = (content: TextContent): string => content.map((part) => part.text).join("");

export type HarnessErrorCode = "model_error" | "harness_crashed" | "harness_failed" | "harness_start_failed";

/** One earlier exchange, given back to a fresh harness after a recovery. */
export type HistoryEntry = { role: "user" | "assistant"; text: string };

export type HarnessConfig = {
  /** The agent's working directory (the sandbox workspace). */
  workspace: string;
  /** A writable directory the CLI keeps its own state in (used as HOME). */
  home: string;
  /** Origin of LAP's gateway, e.g. http://127.0.0.1:4000 (adapters add /v1 where the CLI wants it). */
  gatewayUrl: string;
  /** The session-scoped gateway key: the only credential a harness ever sees. */
  apiKey: string;
  /** The agent's model, used for every call including titles, summaries and sub-agents. */
  model: string;
  /** Path of the CLI binary; defaults to the shared install (see binaries.ts). */
  binary?: string;
  /** Extra environment for the CLI (CONTAINER_ENV_* passthrough); never the parent's whole env. */
  env?: Record<string, string>;
  /** Conversation so far, when this harness replaces one that died (recovery). */
  history?: HistoryEntry[];
  /** Where the CLI's own conversation was, when the same home survived (resume id). */
  resumeId?: string;
  /**
   * The agent's MCP servers: LAP's proxy endpoints (`<LAP>/mcp/<name>`), authenticated with `apiKey`.
   * Each CLI gets them in its own MCP config; the upstream servers and their credentials stay in LAP.
   */
  mcpServers?: McpEndpoint[];
  /**
   * Tools whose calls wait for a person (the agent's `approval_required_tools`, LAP's names: see the
   * adapter for how they map to the CLI's own). Only adapters with `confirm` honour it.
   */
  approvalRequiredTools?: string[];
  /**
   * The agent's system prompt as LAP binds it (with its always-on memory: docs/memory.md), for CLIs that
   * take instructions: Claude Code `--append-system-prompt`, Codex `developerInstructions`.
   */
  systemPrompt?: string;
  /**
   * A pre-started harness (harness/supervisor/binding.ts): how long the CLI's MCP start may wait, as
   * the sandbox's gateway proxy holds MCP requests until the bind. Unset: the CLI's own default.
   */
  mcpStartTimeoutMs?: number;
  /** Started before any session (a warm pre-start: `warmUp` follows `start`). */
  prestart?: boolean;
};

export type McpEndpoint = { name: string; url: string };

export type TurnOutcome = "end_turn" | "interrupted" | "requires_action" | "error";
export type TurnResult = { outcome: TurnOutcome; events: HarnessEvent[] };

/** A person's decision on a tool call the harness asked about (Managed Agents `user.tool_confirmation`). */
export type ToolConfirmation = { tool_use_id: string; result: "allow" | "deny"; deny_message?: string };

export interface HarnessAdapter {
  readonly name: HarnessName;
  /** The CLI's own conversation id (Claude session id, Codex thread id, opencode session id, DeepAgents thread, OpenClaw session key). */
  readonly conversationId: string | undefined;
  start(): Promise<void>;
  /**
   * Runs one turn. Emits session.status_running first and exactly one terminal event last:
   * session.status_idle or session.error. Never rejects for harness failures: they become events.
   */
  send(text: string, onEvent?: (event: HarnessEvent) => void, attachments?: Attachment[]): Promise<TurnResult>;
  /**
   * Answers the call a turn ended `requires_action` for, as a turn of its own (the CLI carries on).
   * Adapters without it cannot ask (the stdio program answers a confirmation with an error).
   */
  confirm?(confirmation: ToolConfirmation, onEvent?: (event: HarnessEvent) => void): Promise<TurnResult>;
  /**
   * A warm pre-start (harness/supervisor/binding.ts), after `start`: resolves once the CLI has loaded and
   * initialized, so a first turn only sends. Before the bind no model call can succeed (the sandbox's
   * gateway proxy refuses them), so nothing here may need one. Absent: `start` is enough.
   */
  warmUp?(): Promise<void>;
  /**
   * A pre-started harness was kept at the bind (harness/protocol.ts `bound`): connect what needed the
   * session (the MCP servers behind the now bound gateway proxy); the next turn waits for it. Absent:
   * the CLI's start already did everything, and the supervisor restarts it if an MCP start gave up.
   */
  bound?(): Promise<void>;
  /** Stops the running turn; the turn then ends with session.status_idle (interrupted). */
  interrupt(): Promise<void>;
  stop(): Promise<void>;
}

export const HARNESS_NAMES = ["opencode", "claude-code", "codex", "deepagents", "openclaw"] as const;
export type HarnessName = (typeof HARNESS_NAMES)[number];

/** Renders recovered history the way LAP replays it (lap-berriai-nextjs.md §3.6). */
export function withHistory(text: string, history: HistoryEntry[] | undefined): string {
  if (!history?.length) return text;
  const lines = history.map((entry) => `${entry.role}: ${entry.text}`).join("\n");
  return `<previous_session_history>\n${lines}\n</previous_session_history>\n\n${text}`;
}
