// Claude Code's stream-JSON output (`--output-format stream-json --verbose --include-partial-messages`)
// translated into LAP's normalized events. Text and thinking come from the partial stream events
// (true deltas); tool calls from the complete assistant records (full input); tool results from the
// user records Claude Code writes after running a tool; the turn ends at the `result` record.
import { events as ev, type HarnessEvent } from "../types.ts";

type Block = {
  type: string;
  id?: string;
  name?: string;
  input?: Record<string, unknown>;
  text?: string;
  tool_use_id?: string;
  content?: unknown;
  is_error?: boolean;
};
type Record_ = {
  type: string;
  subtype?: string;
  session_id?: string;
  error?: string;
  is_error?: boolean;
  result?: string;
  api_error_status?: number;
  attempt?: number;
  terminal_reason?: string;
  event?: { type: string; delta?: { type: string; text?: string; thinking?: string } };
  message?: { model?: string; content?: Block[] | string };
};

/**
 * `streaming`: a model response started (true) or finished (false) streaming on this line.
 * `retry`: Claude Code tries its model call again (`api_retry`, e.g. after a LAP restart cut it), and why.
 */
export type ClaudeTranslation = { events: HarnessEvent[]; sessionId?: string; turnEnded?: boolean; streaming?: boolean; retry?: string };

function resultText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content))
    return content.map((part) => (part && typeof part === "object" && "text" in part ? String(part.text) : "")).join("\n");
  return "";
}

/** `permission` is given when the CLI asks LAP about tools: it marks each tool_use "ask" or "allow". */
export type ClaudeContext = { interrupted: boolean; model: string; permission?: (toolName: string) => "ask" | "allow" };

export function translateClaudeLine(line: string, context: ClaudeContext): ClaudeTranslation {
  let record: Record_;
  try {
    record = JSON.parse(line) as Record_;
  } catch {
    return { events: [] };
  }
  const sessionId = record.session_id;
  switch (record.type) {
    case "system":
      if (record.subtype !== "api_retry") return { sessionId, events: [] };
      return {
        sessionId,
        events: [],
        retry: `claude retried its model call (attempt ${record.attempt ?? "?"}: ${record.error ?? "unknown error"})`,
      };
    case "stream_event": {
      if (record.event?.type === "message_start") return { sessionId, events: [], streaming: true };
      if (record.event?.type === "message_stop") return { sessionId, events: [], streaming: false };
      const delta = record.event?.type === "content_block_delta" ? record.event.delta : undefined;
      if (delta?.type === "text_delta" && delta.text) return { sessionId, events: [ev.message(delta.text)] };
      if (delta?.type === "thinking_delta" && delta.thinking) return { sessionId, events: [ev.thinking(delta.thinking)] };
      return { sessionId, events: [] };
    }
    case "assistant": {
      // Synthetic assistant records carry Claude Code's own error text; the result record reports it.
      if (record.error || record.message?.model === "<synthetic>") return { sessionId, events: [] };
      const blocks = Array.isArray(record.message?.content) ? record.message.content : [];
      const events: HarnessEvent[] = blocks
        .filter((block) => block.type === "tool_use")
        .map((block) => ev.toolUse(block.id ?? "", block.name ?? "", block.input ?? {}, context.permission?.(block.name ?? "")));
      return { sessionId, events };
    }
    case "user": {
      const blocks = Array.isArray(record.message?.content) ? record.message.content : [];
      const events: HarnessEvent[] = blocks
        .filter((block) => block.type === "tool_result")
        .map((block) => ev.toolResult(block.tool_use_id ?? "", resultText(block.content), block.is_error === true));
      return { sessionId, events };
    }
    case "result": {
      if (context.interrupted) return { sessionId, turnEnded: true, events: [ev.idle("interrupted")] };
      if (record.is_error || (record.subtype && record.subtype !== "success")) {
        const status = record.api_error_status;
        const modelProblem = status === 404 || status === 400 || /model/i.test(record.result ?? "");
        const message = modelProblem
          ? `model "${context.model}" was rejected by the gateway${status ? ` (HTTP ${status})` : ""}: ${record.result ?? ""}`.trim()
          : `claude ended the turn with an error (${record.terminal_reason ?? record.subtype ?? "unknown"}): ${record.result ?? ""}`.trim();
        return { sessionId, turnEnded: true, events: [ev.error(modelProblem ? "model_error" : "harness_failed", message)] };
      }
      return { sessionId, turnEnded: true, events: [ev.idle("end_turn")] };
    }
    default:
      return { sessionId, events: [] };
  }
}
