// `codex app-server` notifications translated into LAP's normalized events. Replies and reasoning
// stream as deltas (item/agentMessage/delta, item/reasoning/*Delta); a commandExecution becomes a
// tool call and its result, a fileChange a tool call carrying each file's diff.
// When the agent has approval-required tools, a command's or file change's tool call is held back
// until Codex asks about it (release, marked "ask" or "allow") or it completes without asking.
import { RetriedResponses } from "../restarts.ts";
import { events as ev, type HarnessEvent } from "../types.ts";
import { itemApprovalKind } from "./approvals.ts";
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

type Permission = "ask" | "allow";

function toolUse(item: CodexItem, permission?: Permission): HarnessEvent | undefined {
  switch (item.type) {
    case "commandExecution":
      return ev.toolUse(item.id, "command_execution", { command: item.command ?? "" }, permission);
    case "fileChange":
      return ev.toolUse(
        item.id,
        "file_change",
        { changes: (item.changes ?? []).map((change) => ({ path: change.path, kind: kindOf(change), diff: change.diff ?? "" })) },
        permission,
      );
    case "mcpToolCall":
      return ev.toolUse(item.id, `${item.server ?? "mcp"}.${item.tool ?? "tool"}`, { arguments: item.arguments ?? null });
    case "webSearch":
      return ev.toolUse(item.id, "web_search", { query: item.query ?? "" });
    default:
      return undefined;
  }
}

/** `declined` is what LAP told the model about a call a person refused (Codex itself says only "rejected by user"). */
function toolResult(item: CodexItem, declined?: string): HarnessEvent | undefined {
  if (item.status === "declined" && (item.type === "commandExecution" || item.type === "fileChange"))
    return ev.toolResult(item.id, declined ?? "Not run: the user declined this tool call.", true);
  switch (item.type) {
    case "commandExecution":
      return ev.toolResult(item.id, item.aggregatedOutput ?? "", item.status === "failed" || (item.exitCode ?? 0) !== 0);
    case "fileChange":
      return ev.toolResult(
        item.id,
        (item.changes ?? []).map((change) => `${kindOf(change)} ${change.path}`).join("\n"),
        item.status === "failed",
      );
    case "mcpToolCall":
      return ev.toolResult(item.id, JSON.stringify(item.result ?? item.error ?? null), Boolean(item.error) || item.status === "failed");
    case "webSearch":
      return ev.toolResult(item.id, "", false);
    default:
      return undefined;
  }
}

/** One translator per Codex turn: it remembers which items already streamed deltas or started. */
export class CodexTranslator {
  private started = new Set<string>();
  private streamed = new Set<string>();
  /** Items Codex may ask about, not yet emitted (only when `holdAskable`). */
  private held = new Map<string, CodexItem>();
  private declined = new Map<string, string>();
  private readonly retries = new RetriedResponses();

  /** `holdAskable`: the agent has approval-required tools, so each command or file change says whether it asked. */
  constructor(
    private readonly model: string,
    private readonly holdAskable = false,
  ) {}

  /** The held tool call Codex now asks about, marked "ask" (waits for a person) or "allow" (accepted at once). */
  release(itemId: string, permission: Permission): HarnessEvent[] {
    const item = this.held.get(itemId);
    if (!item) return [];
    this.held.delete(itemId);
    this.started.add(itemId);
    return [toolUse(item, permission)!];
  }

  /** The text the model got for a call a person refused: the declined item's result carries it. */
  decline(itemId: string, text: string): void {
    this.declined.set(itemId, text);
  }

  translate(notification: Notification): CodexTranslation {
    const translated = this.translateOne(notification);
    for (const event of translated.events) this.retries.seen(event);
    return translated;
  }

  private translateOne({ method, params }: Notification): CodexTranslation {
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
        if (this.holdAskable && itemApprovalKind(item.type)) {
          this.held.set(item.id, item);
          return { events: [] };
        }
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
        const result = toolResult(item, this.declined.get(item.id));
        if (!result) return { events: [] };
        // Not started, or held and never asked about (Codex ran it without asking): emitted now, "allow".
        this.held.delete(item.id);
        const use = this.started.has(item.id)
          ? []
          : [toolUse(item, this.holdAskable && itemApprovalKind(item.type) ? "allow" : undefined)!];
        // The call is over: an item id the provider reuses later (call_0 in every response) is a new call.
        this.started.delete(item.id);
        this.declined.delete(item.id);
        return { events: [...use, result] };
      }
      case "turn/completed": {
        const turn = params.turn as { status?: string; error?: TurnError } | undefined;
        if (turn?.status === "interrupted") return { events: [ev.idle("interrupted")] };
        if (turn?.status === "failed") return { events: [this.failure(turn.error ?? null)] };
        return { events: [ev.idle("end_turn")] };
      }
      case "error": {
        // A retry notice (`willRetry`: Codex asks again, e.g. after a LAP restart cut the stream); a
        // final failure arrives as turn/completed.
        if (params.willRetry !== true) return { events: [] };
        const error = params.error as TurnError;
        return {
          events: this.retries.retried(`codex: ${[error?.message, error?.additionalDetails].filter(Boolean).join(": ") || "retrying"}`),
        };
      }
      default:
        return { events: [] };
    }
  }

  private failure(error: TurnError): HarnessEvent {
    const message = [error?.message, error?.additionalDetails].filter(Boolean).join(": ") || "turn failed";
    if (/model/i.test(message)) return ev.error("model_error", `model "${this.model}" was rejected by the gateway: ${message}`);
    return ev.error("harness_failed", `codex turn failed: ${message}`);
  }
}
