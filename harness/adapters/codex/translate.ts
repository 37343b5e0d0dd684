// Codex's `exec --json` event stream translated into LAP's normalized events. Codex reports whole
// items (no token deltas): an agent_message becomes one agent.message, a command_execution a tool
// call and its result, a file_change a tool call whose result lists the changed files.
import { events as ev, type HarnessEvent } from "../types.ts";

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
      return ev.toolUse(item.id, "command_execution", { command: item.command ?? "" });
    case "file_change":
      return ev.toolUse(item.id, "file_change", { changes: item.changes ?? [] });
    case "mcp_tool_call":
      return ev.toolUse(item.id, `${item.server ?? "mcp"}.${item.tool ?? "tool"}`, { arguments: item.arguments ?? null });
    case "web_search":
      return ev.toolUse(item.id, "web_search", { query: item.query ?? "" });
    default:
      return undefined;
  }
}

function toolResult(item: CodexItem): HarnessEvent | undefined {
  switch (item.type) {
    case "command_execution":
      return ev.toolResult(item.id, item.aggregated_output ?? "", item.status === "failed" || (item.exit_code ?? 0) !== 0);
    case "file_change":
      return ev.toolResult(item.id, (item.changes ?? []).map((change) => `${change.kind} ${change.path}`).join("\n"), item.status === "failed");
    case "mcp_tool_call":
      return ev.toolResult(item.id, JSON.stringify(item.result ?? item.error ?? null), Boolean(item.error) || item.status === "failed");
    case "web_search":
      return ev.toolResult(item.id, "", false);
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
        if (item.type === "agent_message") return { events: item.text ? [ev.message(item.text)] : [] };
        if (item.type === "reasoning") return { events: item.text ? [ev.thinking(item.text)] : [] };
        const result = toolResult(item);
        if (!result) return { events: [] }; // warnings ("Model metadata … not found"), todo lists
        const use = this.started.has(item.id) ? [] : [toolUse(item)!];
        return { events: [...use, result] };
      }
      case "turn.completed":
        return { events: [ev.idle("end_turn")] };
      case "turn.failed": {
        const message = event.error?.message ?? "turn failed";
        if (/model/i.test(message)) {
          return { events: [ev.error("model_error", `model "${this.model}" was rejected by the gateway: ${message}`)] };
        }
        return { events: [ev.error("harness_failed", `codex turn failed: ${message}`)] };
      }
      default:
        // Top-level "error" events are Codex's own retry notices; turn.failed reports the outcome.
        return { events: [] };
    }
  }
}
