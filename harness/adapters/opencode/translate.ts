// opencode's event bus (`GET /event`, SSE) translated into LAP's normalized events for one session.
// Text and reasoning come as message.part.delta on parts whose type and message role we learn from
// message.part.updated / message.updated; tool parts move pending → running → completed | error.
import { RetriedResponses } from "../restarts.ts";
import { events as ev, type HarnessEvent } from "../types.ts";

type Part = {
  id: string;
  messageID: string;
  sessionID: string;
  type: string;
  text?: string;
  tool?: string;
  callID?: string;
  state?: { status?: string; input?: Record<string, unknown>; output?: string; error?: string };
};
export type BusEvent = { type: string; properties?: Record<string, unknown> };
type ErrorInfo = { name?: string; data?: { message?: string; statusCode?: number } };

export class OpencodeTranslator {
  private roles = new Map<string, string>();
  private parts = new Map<string, { type: string; emitted: number }>();
  /**
   * Tool parts already reported, by opencode's part id: the callID is the provider's and may repeat in a
   * session (some OpenAI-compatible servers number calls call_0, call_1 … in every response).
   */
  private toolsStarted = new Set<string>();
  private toolsDone = new Set<string>();
  interrupted = false;
  private readonly retries = new RetriedResponses();

  constructor(
    private readonly sessionId: () => string | undefined,
    private readonly model: string,
    /** Set when the agent has approval-required tools: the `evaluated_permission` of each tool call. */
    private readonly permission?: (tool: string) => "ask" | "allow",
  ) {}

  translate(event: BusEvent): HarnessEvent[] {
    const events = this.translateOne(event);
    for (const one of events) this.retries.seen(one);
    return events;
  }

  private translateOne(event: BusEvent): HarnessEvent[] {
    const props = event.properties ?? {};
    const session = this.sessionId();
    switch (event.type) {
      case "message.updated": {
        const info = props.info as { id: string; sessionID: string; role: string; error?: ErrorInfo } | undefined;
        if (info && info.sessionID === session) this.roles.set(info.id, info.role);
        return [];
      }
      case "message.part.updated": {
        const part = props.part as Part | undefined;
        if (!part || part.sessionID !== session) return [];
        return this.onPart(part);
      }
      case "message.part.delta": {
        if (props.sessionID !== session) return [];
        const known = this.parts.get(String(props.partID));
        if (!known || this.roles.get(String(props.messageID)) !== "assistant" || props.field !== "text") return [];
        const delta = String(props.delta ?? "");
        known.emitted += delta.length;
        return delta ? [known.type === "reasoning" ? ev.thinking(delta) : ev.message(delta)] : [];
      }
      case "session.error": {
        if (props.sessionID !== undefined && props.sessionID !== session) return [];
        const error = (props.error ?? {}) as ErrorInfo;
        if (this.interrupted || error.name === "MessageAbortedError") return [];
        const message = error.data?.message ?? error.name ?? "unknown error";
        const status = error.data?.statusCode;
        if (status === 404 || status === 400 || /model/i.test(message)) {
          return [
            {
              type: "session.error",
              error: {
                code: "model_error",
                message: `model "${this.model}" was rejected by the gateway${status ? ` (HTTP ${status})` : ""}: ${message}`,
              },
            },
          ];
        }
        return [ev.error("harness_failed", `opencode: ${message}`)];
      }
      case "session.status": {
        // opencode tries a failed model call again (a LAP restart cut it): `retry`, then `busy`.
        const status = props.status as { type?: string; message?: string } | undefined;
        if (props.sessionID !== session || status?.type !== "retry") return [];
        return this.retries.retried(`opencode: ${status.message ?? "retrying the model call"}`);
      }
      case "session.idle":
        if (props.sessionID !== session) return [];
        return [ev.idle(this.interrupted ? "interrupted" : "end_turn")];
      default:
        return [];
    }
  }

  private onPart(part: Part): HarnessEvent[] {
    if (part.type === "text" || part.type === "reasoning") {
      const known = this.parts.get(part.id) ?? { type: part.type, emitted: 0 };
      this.parts.set(part.id, known);
      if (this.roles.get(part.messageID) !== "assistant") return [];
      // Text that arrived without deltas (or more than the deltas carried) is emitted from the update.
      const text = part.text ?? "";
      if (text.length <= known.emitted) return [];
      const rest = text.slice(known.emitted);
      known.emitted = text.length;
      return [part.type === "reasoning" ? ev.thinking(rest) : ev.message(rest)];
    }
    if (part.type !== "tool" || !part.callID) return [];
    const events: HarnessEvent[] = [];
    const status = part.state?.status;
    if (status && status !== "pending" && !this.toolsStarted.has(part.id)) {
      this.toolsStarted.add(part.id);
      const tool = part.tool ?? "tool";
      events.push(ev.toolUse(part.callID, tool, part.state?.input ?? {}, this.permission?.(tool)));
    }
    if ((status === "completed" || status === "error") && !this.toolsDone.has(part.id)) {
      this.toolsDone.add(part.id);
      events.push(
        ev.toolResult(
          part.callID,
          status === "error" ? (part.state?.error ?? "tool failed") : (part.state?.output ?? ""),
          status === "error",
        ),
      );
    }
    return events;
  }
}

/** Reads an SSE body and hands each `data:` payload, parsed, to the callback. */
export async function readSse(body: ReadableStream<Uint8Array>, onEvent: (event: BusEvent) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let boundary = buffer.indexOf("\n\n");
    while (boundary >= 0) {
      const frame = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      const data = frame
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).trimStart())
        .join("\n");
      if (data) {
        try {
          onEvent(JSON.parse(data) as BusEvent);
        } catch {
          // not JSON: ignore
        }
      }
      boundary = buffer.indexOf("\n\n");
    }
  }
}
