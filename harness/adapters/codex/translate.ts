// Codex's `exec --json` event stream translated into LAP's normalized events. Codex reports whole
// items (no token deltas): an agent_message becomes one agent.message, a command_execution a tool
// call and its result, a file_change a tool call whose result lists the changed files.
import type { HarnessEvent } from "../types.ts";

type CodexItem = {
  id: string;
  type: string;
  text?: string;
  message?: string;
  command?: string;
  aggregated_output?: string;
  exit_code?: number | null;
  status?: string;
  changes?: { path: string; kind: string }[];
  server?: string;
  tool?: string;
  arguments?: unknown;
  result?: unknown;
  error?: unknown;
  query?: string;
};
type CodexEvent = { type: string; thread_id?: string; item?: CodexItem; error?: { message?: string }; message?: string };

export type CodexTranslation = { events: HarnessEvent[]; threadId?: string };

function toolUse(item: CodexItem): HarnessEvent | undefined {
  switch (item.type) {
    case "command_execution":
      return { type: "agent.tool_use", id: item.id, name: "command_execution", input: { command: item.command ?? "" } };
    case "file_change":
      return { type: "agent.tool_use", id: item.id, name: "file_change", input: { changes: item.changes ?? [] } };
    case "mcp_tool_call":
      return { type: "agent.tool_use", id: item.id, name: `${item.server ?? "mcp"}.${item.tool ?? "tool"}`, input: { arguments: item.arguments ?? null } };
    case "web_search":
      return { type: "agent.tool_use", id: item.id, name: "web_search", input: { query: item.query ?? "" } };
    default:
      return undefined;
  }
}

function toolResult(item: CodexItem): HarnessEvent | undefined {
  switch (item.type) {
    case "command_execution":
      return { type: "agent.tool_result", tool_use_id: item.id, output: item.aggregated_output ?? "", is_error: item.status === "failed" || (item.exit_code ?? 0) !== 0 };
    case "file_change":
      return { type: "agent.tool_result", tool_use_id: item.id, output: (item.changes ?? []).map((change) => `${change.kind} ${change.path}`).join("\n"), is_error: item.status === "failed" };
    case "mcp_tool_call":
      return { type: "agent.tool_result", tool_use_id: item.id, output: JSON.stringify(item.result ?? item.error ?? null), is_error: Boolean(item.error) || item.status === "failed" };
    case "web_search":
      return { type: "agent.tool_result", tool_use_id: item.id, output: "", is_error: false };
    default:
      return undefined;
  }
}

export class CodexTranslator {
  private started = new Set<string>();

  constructor(private readonly model: string) {}

  translate(line: string): CodexTranslation {
    let event: CodexEvent;
    try {
      event = JSON.parse(line) as CodexEvent;
    } catch {
      return { events: [] };
    }
    const item = event.item;
    switch (event.type) {
      case "thread.started":
        return { threadId: event.thread_id, events: [] };
      case "item.started": {
        if (!item) return { events: [] };
        const use = toolUse(item);
        if (!use) return { events: [] };
        this.started.add(item.id);
        return { events: [use] };
      }
      case "item.completed": {
        if (!item) return { events: [] };
        if (item.type === "agent_message") return { events: item.text ? [{ type: "agent.message", text: item.text }] : [] };
        if (item.type === "reasoning") return { events: item.text ? [{ type: "agent.thinking", text: item.text }] : [] };
        const result = toolResult(item);
        if (!result) return { events: [] }; // warnings ("Model metadata … not found"), todo lists
        const use = this.started.has(item.id) ? [] : [toolUse(item)!];
        return { events: [...use, result] };
      }
      case "turn.completed":
        return { events: [{ type: "session.status_idle", stop_reason: "end_turn" }] };
      case "turn.failed": {
        const message = event.error?.message ?? "turn failed";
        if (/model/i.test(message)) {
          return { events: [{ type: "session.error", error: { code: "model_error", message: `model "${this.model}" was rejected by the gateway: ${message}` } }] };
        }
        return { events: [{ type: "session.error", error: { code: "harness_failed", message: `codex turn failed: ${message}` } }] };
      }
      default:
        // Top-level "error" events are Codex's own retry notices; turn.failed reports the outcome.
        return { events: [] };
    }
  }
}
