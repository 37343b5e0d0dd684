import type { ToolItem } from "../components/ToolCard";
import type { StoredEvent } from "./api";

/** What the chat shows, one entry per message, tool call, turn's usage line or note. */
export type ChatItem =
  | { kind: "user"; seq: number; text: string; turnId: string | null; content: unknown }
  | { kind: "assistant"; seq: number; text: string; messageId?: string; incomplete?: boolean }
  | { kind: "thinking"; seq: number; text: string }
  | ({ kind: "tool" } & ToolItem)
  | { kind: "turn"; seq: number; start: string; end: string }
  | { kind: "error"; seq: number; text: string }
  | { kind: "note"; seq: number; text: string; reattached?: boolean }
  | { kind: "pull_request"; seq: number; url: string; title: string | null; repository: string | null; number: number | null };

const textOf = (content: unknown) =>
  Array.isArray(content) ? content.map((p) => (p && typeof p === "object" && "text" in p ? String(p.text) : "")).join("") : "";

/**
 * Folds the event log into chat items. A message streams in as `agent.message_delta` pieces and then
 * arrives whole as one `agent.message` with the same message_id, which replaces them
 * (docs/sessions.md "Messages and deltas"); messages without an id that follow each other read as one reply.
 */
export function toItems(events: StoredEvent[]): ChatItem[] {
  const items: ChatItem[] = [];
  let turnStart: string | null = null;
  const byMessage = new Map<string, Extract<ChatItem, { kind: "assistant" }>>();
  for (const e of events) {
    // biome-ignore lint/suspicious/noExplicitAny: event data differs per event type; read per type below
    const d = e.data as Record<string, any>;
    const last = items.at(-1);
    switch (e.type) {
      case "user.message":
        items.push({ kind: "user", seq: e.seq, text: textOf(d.content), turnId: e.turn_id, content: d.content });
        break;
      case "agent.message_delta": {
        const reply = byMessage.get(d.message_id);
        // `restarted`: the agent tried the model step again after LAP came back; its text starts over.
        if (reply) reply.text = d.restarted ? "" : reply.text + (d.text ?? "");
        else {
          const item = { kind: "assistant" as const, seq: e.seq, text: d.text ?? "", messageId: d.message_id };
          byMessage.set(d.message_id, item);
          items.push(item);
        }
        break;
      }
      case "agent.message": {
        const streamed = typeof d.message_id === "string" ? byMessage.get(d.message_id) : undefined;
        if (streamed) {
          streamed.text = textOf(d.content);
          streamed.incomplete = d.incomplete === true;
          break;
        }
        if (typeof d.message_id === "string") {
          const item = {
            kind: "assistant" as const,
            seq: e.seq,
            text: textOf(d.content),
            messageId: d.message_id,
            incomplete: d.incomplete === true,
          };
          byMessage.set(d.message_id, item);
          items.push(item);
          break;
        }
        // A reply that LAP re-attached after a restart reads as one reply; the note stays under it.
        const reply =
          last?.kind === "assistant"
            ? last
            : last?.kind === "note" && last.reattached && items.at(-2)?.kind === "assistant"
              ? items.at(-2)
              : undefined;
        if (reply?.kind === "assistant" && reply.messageId === undefined) reply.text += textOf(d.content);
        else items.push({ kind: "assistant", seq: e.seq, text: textOf(d.content) });
        break;
      }
      case "agent.thinking":
        if (last?.kind === "thinking") last.text += d.thinking ?? "";
        else items.push({ kind: "thinking", seq: e.seq, text: d.thinking ?? "" });
        break;
      case "agent.tool_use":
        items.push({
          kind: "tool",
          seq: e.seq,
          name: d.name,
          input: d.input,
          id: d.id,
          ask: d.evaluated_permission === "ask",
          startedAt: e.created_at,
        });
        break;
      case "agent.tool_result": {
        const call = [...items]
          .reverse()
          .find((i) => i.kind === "tool" && (i.id === undefined || i.id === d.tool_use_id) && i.result === undefined) as
          | Extract<ChatItem, { kind: "tool" }>
          | undefined;
        if (call) Object.assign(call, { result: d.content ?? d.output, isError: d.is_error, endedAt: e.created_at });
        else items.push({ kind: "tool", seq: e.seq, name: d.name ?? "tool", input: undefined, result: d.content, isError: d.is_error });
        break;
      }
      case "session.status_running":
        turnStart ??= e.created_at;
        break;
      case "session.error":
        items.push({ kind: "error", seq: e.seq, text: d.error?.message ?? "error" });
        if (turnStart) items.push({ kind: "turn", seq: e.seq, start: turnStart, end: e.created_at });
        turnStart = null;
        break;
      case "session.status_idle":
        // A turn's usage line goes where it ended (a pause for a decision ends it too).
        if (turnStart) items.push({ kind: "turn", seq: e.seq, start: turnStart, end: e.created_at });
        turnStart = null;
        if (d.stop_reason?.type === "interrupted") items.push({ kind: "note", seq: e.seq, text: "Turn stopped" });
        else if (d.stop_reason?.type === "requires_action")
          items.push({ kind: "note", seq: e.seq, text: "Paused for a person to allow or deny the tool call above" });
        break;
      case "session.recovered":
        items.push({
          kind: "note",
          seq: e.seq,
          text: d.sandbox_id
            ? `Sandbox replaced (${d.reason ?? "it stopped"}); workspace and conversation restored`
            : "LAP restarted; the turn was re-attached",
          reattached: !d.sandbox_id,
        });
        break;
      case "session.stopped":
        items.push({ kind: "note", seq: e.seq, text: `Session stopped (${d.reason ?? "stopped"})` });
        break;
      case "session.pull_request":
        // Read by LAP from GitHub's answer (docs/github.md); only http(s) links are shown.
        if (/^https?:\/\//.test(String(d.url)))
          items.push({
            kind: "pull_request",
            seq: e.seq,
            url: String(d.url),
            title: d.title ?? null,
            repository: d.repository ?? null,
            number: d.number ?? null,
          });
        break;
      case "session.context": {
        // What the harness was given at start (docs/skills.md): names and versions.
        const list = (xs: Array<{ name: string; version: number }> | undefined) =>
          (xs ?? []).map((x) => `${x.name} v${x.version}`).join(", ");
        const parts = [d.rules?.length ? `rules: ${list(d.rules)}` : "", d.skills?.length ? `skills: ${list(d.skills)}` : ""].filter(
          Boolean,
        );
        items.push({ kind: "note", seq: e.seq, text: `Given to the agent: ${parts.join("; ")}` });
        break;
      }
    }
  }
  return items;
}

/** Turns whose runtime has not sent anything yet: their user messages are still queued. */
export function queuedTurns(events: StoredEvent[]): Set<string | null> {
  const started = new Set(events.filter((e) => e.type !== "user.message" && e.turn_id).map((e) => e.turn_id));
  return new Set(events.filter((e) => e.type === "user.message" && !started.has(e.turn_id)).map((e) => e.turn_id));
}
