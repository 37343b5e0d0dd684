// `codex app-server` notifications translated into LAP's normalized events. Replies and reasoning
// stream as deltas (item/agentMessage/delta, item/reasoning/*Delta); a commandExecution becomes a
// tool call and its result, a fileChange a tool call carrying each file's diff.
import { events as ev, type HarnessEvent } from "../types.ts";
import type { Notification } from "./rpc.ts";

type FileChange = { path: string; kind?: { type?: string } | string; diff?: string };
type CodexItem = {
  id: string;
  type: string;
  text?: string;
  summary?: string[];
  content?: string[];
  command?: string;
  aggregatedOutput?: string | null;
  exitCode?: number | null;
  status?: string;
  changes?: FileChange[];
  server?: string;
  tool?: string;
  arguments?: unknown;
  result?: unknown;
  error?: unknown;
  query?: string;
};
type TurnError = { message?: string; additionalDetails?: string | null } | null;

export type CodexTranslation = { events: HarnessEvent[]; turnId?: string };

const kindOf = (change: FileChange) => (typeof change.kind === "string" ? change.kind : (change.kind?.type ?? "update"));

function toolUse(item: CodexItem): HarnessEvent | undefined {
  switch (item.type) {
    case "commandExecution":
      return ev.toolUse(item.id, "command_execution", { command: item.command ?? "" });
    case "fileChange":
      return ev.toolUse(item.id, "file_change", { changes: (item.changes ?? []).map((change) => ({ path: change.path, kind: kindOf(change), diff: change.diff ?? "" })) });
    case "mcpToolCall":
      return ev.toolUse(item.id, `${item.server ?? "mcp"}.${item.tool ?? "tool"}`, { arguments: item.arguments ?? null });
    case "webSearch":
      return ev.toolUse(item.id, "web_search", { query: item.query ?? "" });
    default:
      return undefined;
  }
}

function toolResult(item: CodexItem): HarnessEvent | undefined {
  switch (item.type) {
    case "commandExecution":
      return ev.toolResult(item.id, item.aggregatedOutput ?? "", item.status === "failed" || (item.exitCode ?? 0) !== 0);
    case "fileChange":
      return ev.toolResult(item.id, (item.changes ?? []).map((change) => `${kindOf(change)} ${change.path}`).join("\n"), item.status === "failed");
    case "mcpToolCall":
      return ev.toolResult(item.id, JSON.stringify(item.result ?? item.error ?? null), Boolean(item.error) || item.status === "failed");
    case "webSearch":
      return ev.toolResult(item.id, "", false);
    default:
      return undefined;
  }
}

/** One translator per turn: it remembers which items already streamed deltas or started. */
export class CodexTranslator {
  private started = new Set<string>();
  private streamed = new Set<string>();

  constructor(private readonly model: string) {}

  translate({ method, params }: Notification): CodexTranslation {
    const item = params.item as CodexItem | undefined;
    switch (method) {
      case "turn/started":
        return { events: [], turnId: (params.turn as { id?: string } | undefined)?.id };
      case "item/agentMessage/delta":
      case "item/reasoning/textDelta":
      case "item/reasoning/summaryTextDelta": {
        const delta = String(params.delta ?? "");
        this.streamed.add(String(params.itemId));
        if (!delta) return { events: [] };
        return { events: [method === "item/agentMessage/delta" ? ev.message(delta) : ev.thinking(delta)] };
      }
      case "item/started": {
        const use = item && toolUse(item);
        if (!item || !use) return { events: [] };
        this.started.add(item.id);
        return { events: [use] };
      }
      case "item/completed": {
        if (!item) return { events: [] };
        // Whole text only for an item that streamed nothing (a provider that does not stream).
        if (item.type === "agentMessage") return { events: item.text && !this.streamed.has(item.id) ? [ev.message(item.text)] : [] };
        if (item.type === "reasoning") {
          const text = [...(item.summary ?? []), ...(item.content ?? [])].join("\n");
          return { events: text && !this.streamed.has(item.id) ? [ev.thinking(text)] : [] };
        }
        const result = toolResult(item);
        if (!result) return { events: [] };
        const use = this.started.has(item.id) ? [] : [toolUse(item)!];
        return { events: [...use, result] };
      }
      case "turn/completed": {
        const turn = params.turn as { status?: string; error?: TurnError } | undefined;
        if (turn?.status === "interrupted") return { events: [ev.idle("interrupted")] };
        if (turn?.status === "failed") return { events: [this.failure(turn.error ?? null)] };
        return { events: [ev.idle("end_turn")] };
      }
      default:
        // "error" with willRetry is a retry notice; a final failure arrives as turn/completed.
        return { events: [] };
    }
  }

  private failure(error: TurnError): HarnessEvent {
    const message = [error?.message, error?.additionalDetails].filter(Boolean).join(": ") || "turn failed";
    if (/model/i.test(message)) return ev.error("model_error", `model "${this.model}" was rejected by the gateway: ${message}`);
    return ev.error("harness_failed", `codex turn failed: ${message}`);
  }
}
