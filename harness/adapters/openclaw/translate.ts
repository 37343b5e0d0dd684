// ACP `session/update` notifications from `openclaw acp` → LAP's normalized events.
// agent_message_chunk → agent.message, agent_thought_chunk → agent.thinking, tool_call → agent.tool_use,
// tool_call_update (completed / failed) → agent.tool_result. Session info, usage and command lists
// are OpenClaw's bookkeeping and are dropped.
import { events as ev, type HarnessEvent } from "../types.ts";

type ContentBlock = { type?: string; text?: string; content?: ContentBlock };
export type SessionUpdate = {
  sessionUpdate?: string;
  content?: ContentBlock | ContentBlock[];
  toolCallId?: string;
  title?: string;
  status?: string;
  rawInput?: unknown;
  rawOutput?: unknown;
  _meta?: { toolName?: unknown };
};

/** Tool names as OpenClaw's model sees them (`exec`, `write`, …): the `_meta` one, else the title's prefix ("exec: command: ls"). */
export function toolName(update: SessionUpdate): string {
  if (typeof update._meta?.toolName === "string") return update._meta.toolName;
  const title = update.title ?? "tool";
  const colon = title.indexOf(":");
  return (colon > 0 ? title.slice(0, colon) : title).trim() || "tool";
}

function textOf(content: ContentBlock | ContentBlock[] | undefined): string {
  if (!content) return "";
  if (Array.isArray(content)) return content.map(textOf).join("");
  if (content.type === "content" && content.content) return textOf(content.content);
  return typeof content.text === "string" ? content.text : "";
}

/** The result text of a finished call: its content blocks, else the raw output's (exec puts both). */
function resultText(update: SessionUpdate): string {
  const text = textOf(update.content);
  if (text) return text;
  const raw = update.rawOutput as { content?: ContentBlock[] } | string | undefined;
  if (typeof raw === "string") return raw;
  return textOf(raw?.content);
}

const asInput = (raw: unknown): Record<string, unknown> =>
  raw && typeof raw === "object" && !Array.isArray(raw) ? { ...(raw as Record<string, unknown>) } : {};

/**
 * One translator per LAP turn; it remembers which calls it announced so each gets one result. With
 * `asking` (approvals), a shell call is held back until OpenClaw asks about it (session/request_permission
 * comes after its tool_call), so its agent.tool_use carries "ask"; one that finishes unasked (refused
 * by OpenClaw, or allowed by its rules) is announced with its result.
 */
export class OpenclawTranslator {
  private readonly announced = new Set<string>();
  private readonly finished = new Set<string>();
  private readonly held = new Map<string, SessionUpdate>();

  constructor(private readonly asking: ReadonlySet<string> = new Set()) {}

  translate(update: SessionUpdate): HarnessEvent[] {
    switch (update.sessionUpdate) {
      case "agent_message_chunk": {
        const text = textOf(update.content);
        return text ? [ev.message(text)] : [];
      }
      case "agent_thought_chunk": {
        const text = textOf(update.content);
        return text ? [ev.thinking(text)] : [];
      }
      case "tool_call":
        if (update.toolCallId && this.asking.has(toolName(update)) && !this.announced.has(update.toolCallId)) {
          this.held.set(update.toolCallId, update);
          return [];
        }
        return this.announce(update);
      case "tool_call_update":
        return this.update(update);
      default:
        return [];
    }
  }

  /** A call OpenClaw asks permission for (session/request_permission), announced once, marked "ask" or "allow". */
  permission(update: SessionUpdate, permission: "ask" | "allow"): HarnessEvent[] {
    const id = update.toolCallId;
    if (!id || this.announced.has(id)) return [];
    const held = this.held.get(id);
    this.held.delete(id);
    // The held tool_call has the call's own arguments; the permission request's toolCall repeats them.
    return this.announce(held ? { ...held, status: undefined } : update, permission);
  }

  /** Whether this call was announced in this turn (a decision's later updates belong to the turn that asked). */
  knows(id: string): boolean {
    return this.announced.has(id);
  }

  private announce(update: SessionUpdate, permission?: "ask" | "allow"): HarnessEvent[] {
    const id = update.toolCallId;
    if (!id || this.announced.has(id)) return [];
    this.announced.add(id);
    const input = asInput(update.rawInput);
    // The permission request's rawInput repeats the tool name and OpenClaw's approval id: not the call's arguments.
    delete input.name;
    delete input.approvalId;
    delete input.host;
    const events = [ev.toolUse(id, toolName(update), input, permission)];
    if (update.status === "completed" || update.status === "failed") events.push(...this.update(update));
    return events;
  }

  private update(update: SessionUpdate): HarnessEvent[] {
    const id = update.toolCallId;
    if (!id || this.finished.has(id)) return [];
    if (update.status !== "completed" && update.status !== "failed") return [];
    const events: HarnessEvent[] = [];
    // A result for a call held or announced before this turn (or never): announce it first so none is orphaned.
    if (!this.announced.has(id)) {
      const held = this.held.get(id);
      this.held.delete(id);
      events.push(...this.announce({ ...(held ?? update), status: undefined }));
    }
    this.finished.add(id);
    events.push(ev.toolResult(id, resultText(update), update.status === "failed"));
    return events;
  }
}
