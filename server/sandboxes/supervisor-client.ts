/**
 * LAP's client for a supervisor (Managed Agents shape, see harness/supervisor/routes.ts): send a
 * turn, interrupt, replay history, and read events, over the connection a provider returns.
 */
import { toolConfirmationEvent, type ToolConfirmationPart } from "../../schema/session-events";
import type { SupervisorConnection } from "./provider";

export interface SandboxEvent {
  type: string;
  seq: number;
  [field: string]: unknown;
}

export const TERMINAL = new Set(["session.status_idle", "session.error"]);

/** The supervisor answered, with an HTTP error: it is alive (runtime/turns.ts `supervisorGone`). */
export class SupervisorHttpError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export class SupervisorClient {
  constructor(
    private conn: SupervisorConnection,
    private sessionId: string,
  ) {}

  // biome-ignore lint/suspicious/noExplicitAny: the supervisor's JSON answer; each method names its shape
  private async call(method: string, path: string, body?: unknown): Promise<any> {
    const res = await this.conn.fetch(`${this.conn.baseUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new SupervisorHttpError(`supervisor ${method} ${path} failed with ${res.status}: ${text}`, res.status);
    return text ? JSON.parse(text) : {};
  }

  health() {
    return this.call("GET", "/health");
  }

  /** Whether the harness is running a turn (`running`) or waiting for one (`idle`). */
  async status(): Promise<string> {
    return String((await this.call("GET", `/v1/sessions/${this.sessionId}`)).status);
  }

  /** Sends a user message (text, or content parts with attachments); returns the last sequence number before the turn's events. */
  async sendMessage(message: string | Array<{ type: string; [field: string]: unknown }>): Promise<number> {
    const content = typeof message === "string" ? [{ type: "text", text: message }] : message;
    const r = await this.call("POST", `/v1/sessions/${this.sessionId}/events`, { events: [{ type: "user.message", content }] });
    // The user.message itself is last_seq; the turn's events follow it.
    return Number(r.last_seq ?? 0);
  }

  /** Sends a decision on a tool call the agent asked about; returns the last seq before the turn's events. */
  async sendConfirmation(confirmation: ToolConfirmationPart): Promise<number> {
    const r = await this.call("POST", `/v1/sessions/${this.sessionId}/events`, { events: [toolConfirmationEvent(confirmation)] });
    return Number(r.last_seq ?? 0);
  }

  interrupt() {
    return this.call("POST", `/v1/sessions/${this.sessionId}/events`, { events: [{ type: "user.interrupt" }] });
  }

  replayHistory(events: Array<{ type: string }>) {
    return this.call("POST", `/v1/sessions/${this.sessionId}/history`, { events });
  }

  async events(after = 0): Promise<SandboxEvent[]> {
    return (await this.call("GET", `/v1/sessions/${this.sessionId}/events?after=${after}`)).data;
  }

  /** Streams events after `after`; with `untilIdle` the stream ends at the turn's terminal event. */
  async *stream(after = 0, opts: { untilIdle?: boolean; signal?: AbortSignal } = {}): AsyncGenerator<SandboxEvent> {
    const res = await this.conn.fetch(
      `${this.conn.baseUrl}/v1/sessions/${this.sessionId}/events/stream?after=${after}${opts.untilIdle ? "&until=idle" : ""}`,
      {
        headers: { accept: "text/event-stream" },
        signal: opts.signal,
      },
    );
    if (!res.ok || !res.body) throw new Error(`supervisor stream failed with ${res.status}: ${await res.text()}`);
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = frame
          .split("\n")
          .filter((l) => l.startsWith("data:"))
          .map((l) => l.slice(5).trimStart())
          .join("\n");
        if (data) yield JSON.parse(data) as SandboxEvent;
      }
    }
  }

  /** Sends a message and collects the turn's events up to its terminal event. */
  async runTurn(text: string, opts: { timeoutMs?: number } = {}): Promise<SandboxEvent[]> {
    const after = await this.sendMessage(text);
    const out: SandboxEvent[] = [];
    const signal = AbortSignal.timeout(opts.timeoutMs ?? 30_000);
    for await (const e of this.stream(after, { untilIdle: true, signal })) {
      out.push(e);
      if (TERMINAL.has(e.type)) break;
    }
    return out;
  }
}
