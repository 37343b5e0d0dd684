/**
 * A local stand-in for a remote Managed Agents runtime (Claude Managed Agents or a template
 * runtime such as OpenCode/DeepAgents), which tests cannot reach on the internet. It speaks the
 * real wire format of reference/lap-rust-core.md §3.2 over real HTTP on port 0: x-api-key auth,
 * POST /v1/agents, /v1/environments, /v1/sessions, POST /v1/sessions/:id/events (user.message,
 * user.interrupt, user.tool_confirmation), GET /v1/sessions/:id, GET /v1/sessions/:id/events, and the SSE stream
 * GET /v1/sessions/:id/events/stream with `id:` lines and Last-Event-ID resume. The answer to a
 * user.message names the recorded event by the id the list and stream use. Environments keep their
 * `config` (with LAP's `config.env` extension) and sessions their `resources` (github_repository).
 *
 * Scriptable: `reply` decides the steps of each turn (events, delays, stream drops, failures).
 */
import type { Server } from "bun";

export type FakeStep =
  | { event: Record<string, unknown> }
  | { delay: number }
  /** Holds the turn until the promise settles (a test decides when the rest of a reply comes). */
  | { until: Promise<unknown> }
  /** Closes every open stream of the session (the turn itself carries on). */
  | { drop: true }
  /** Ends the turn with session.error. */
  | { fail: string };

export interface FakeSession {
  id: string;
  agent: string;
  environmentId: string | null;
  /** `resources` of the create call (the agent's repository arrives here). */
  resources: Array<Record<string, unknown>>;
  /** Every user.message the runtime accepted (a re-attach must never make this grow twice for one turn). */
  received: Array<Record<string, unknown>>;
  status: "idle" | "running" | "terminated";
  events: Array<Record<string, unknown> & { id: string }>;
  streams: Set<ReadableStreamDefaultController<Uint8Array>>;
  turn?: { cancelled: boolean };
  /** Tool calls emitted with evaluated_permission "ask" and not yet confirmed. */
  pending: Map<string, { name: string; input: unknown }>;
  /** A script's own tool_use ids → the event ids the runtime gave those tool_uses. */
  scriptIds?: Map<string, string>;
}

export interface FakeConfirmation {
  tool_use_id: string;
  result: "allow" | "deny";
  deny_message?: string;
}

export interface FakeRuntimeOptions {
  apiKey?: string;
  /** Steps for a user message; defaults to a short streamed echo. */
  reply?: (text: string, session: FakeSession) => FakeStep[];
  /** Steps after a `user.tool_confirmation`; defaults to confirmedReply. */
  confirm?: (c: FakeConfirmation, tool: { name: string; input: unknown }, session: FakeSession) => FakeStep[];
}

/**
 * A turn that asks before running `name` (Managed Agents `always_ask`): tool_use "ask", then idle
 * with requires_action. As in the real protocol, the tool_use's event id (sevt_…) is the id the
 * confirmation names; the fake fills `event_ids` with the session's waiting calls.
 */
export function askReply(name: string, input: unknown, preface = "I need to run a command."): FakeStep[] {
  return [
    { event: { type: "session.status_running" } },
    { event: { type: "agent.message", content: [{ type: "text", text: preface }] } },
    { event: { type: "agent.tool_use", name, input, evaluated_permission: "ask" } },
    { event: { type: "session.status_idle", stop_reason: { type: "requires_action" } } },
  ];
}

/** What the runtime does with a decision: runs the tool (a canned result) or tells the model it was denied. */
export function confirmedReply(c: FakeConfirmation, tool: { name: string; input: unknown }): FakeStep[] {
  const allowed = c.result === "allow";
  return [
    { event: { type: "session.status_running" } },
    {
      event: {
        type: "agent.tool_result",
        tool_use_id: c.tool_use_id,
        name: tool.name,
        is_error: !allowed,
        content: [{ type: "text", text: allowed ? `ran ${tool.name}` : `denied: ${c.deny_message ?? "no reason given"}` }],
      },
    },
    {
      event: {
        type: "agent.message",
        content: [{ type: "text", text: allowed ? `Done: ${tool.name} ran.` : `Understood, I did not run ${tool.name}.` }],
      },
    },
    { event: { type: "session.status_idle", stop_reason: { type: "end_turn" } } },
  ];
}

export function echoReply(text: string, chunkDelayMs = 5): FakeStep[] {
  const words = `You said: ${text}`.split(/(?<= )/);
  return [
    { event: { type: "session.status_running" } },
    { event: { type: "agent.thinking", thinking: "considering" } },
    ...words.flatMap(
      (w) => [{ delay: chunkDelayMs }, { event: { type: "agent.message", content: [{ type: "text", text: w }] } }] as FakeStep[],
    ),
    { event: { type: "session.status_idle", stop_reason: { type: "end_turn" } } },
  ];
}

const enc = new TextEncoder();
const json = (body: unknown, status = 200) => Response.json(body, { status });

export class FakeManagedAgents {
  readonly apiKey: string;
  reply: (text: string, session: FakeSession) => FakeStep[];
  confirm: NonNullable<FakeRuntimeOptions["confirm"]>;
  readonly confirmations: FakeConfirmation[] = [];
  readonly sessions = new Map<string, FakeSession>();
  readonly agents = new Map<string, Record<string, unknown>>();
  readonly environments = new Map<string, Record<string, unknown>>();
  readonly requests: string[] = [];
  /** Next N matching POSTs are processed, then their answer is held (the runtime has it; the caller does not know yet). */
  private holds: Array<{ match: string; ms: number; remaining: number }> = [];
  /** Called when a held answer starts waiting (tests kill LAP at exactly that point). */
  onHold?: (path: string) => void;
  /** Next N requests matching a path prefix answer this status. */
  private failures: Array<{ match: string; status: number; remaining: number }> = [];
  private delays: Array<{ match: string; ms: number; remaining: number }> = [];
  private gates: Array<{ match: string; until: Promise<unknown>; remaining: number }> = [];
  private server?: Server<unknown>;
  private seq = 0;
  private ids = 0;

  constructor(opts: FakeRuntimeOptions = {}) {
    this.apiKey = opts.apiKey ?? "fake-runtime-key";
    this.reply = opts.reply ?? ((text) => echoReply(text));
    this.confirm = opts.confirm ?? ((c, tool) => confirmedReply(c, tool));
  }

  get url() {
    return `http://127.0.0.1:${this.server!.port}`;
  }

  start(port = 0) {
    this.server = Bun.serve({ port, hostname: "127.0.0.1", idleTimeout: 0, fetch: (req) => this.handle(req) });
    return this;
  }

  async stop() {
    for (const s of this.sessions.values()) this.closeStreams(s);
    await this.server?.stop(true);
  }

  /** Next N requests matching a path prefix are held for `ms` before being answered. */
  delayNext(match: string, ms: number, times = 1) {
    this.delays.push({ match, ms, remaining: times });
  }

  /** Next N POSTs matching a path prefix wait for `until` before being processed (see test/support/gate.ts). */
  waitNext(match: string, until: Promise<unknown>, times = 1) {
    this.gates.push({ match, until, remaining: times });
  }

  holdAnswer(match: string, ms: number, times = 1) {
    this.holds.push({ match, ms, remaining: times });
  }

  failNext(match: string, status = 500, times = 1) {
    this.failures.push({ match, status, remaining: times });
  }

  /** Forget a session, as a runtime that lost it (restart, expiry) would. */
  forget(sessionId: string) {
    const s = this.sessions.get(sessionId);
    if (s) {
      if (s.turn) s.turn.cancelled = true;
      this.closeStreams(s);
    }
    this.sessions.delete(sessionId);
  }

  private newId(prefix: string) {
    return `${prefix}_${++this.ids}`;
  }

  private async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const path = url.pathname;
    this.requests.push(`${req.method} ${path}`);
    if (req.headers.get("x-api-key") !== this.apiKey)
      return json({ type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } }, 401);
    const delay = this.delays.find((d) => d.remaining > 0 && path.startsWith(d.match) && req.method === "POST");
    if (delay) {
      delay.remaining--;
      await Bun.sleep(delay.ms);
      // The caller hung up while the request was held: like a dropped connection, it never arrives.
      if (req.signal.aborted) return new Response(null, { status: 499 });
    }
    const gated = this.gates.find((g) => g.remaining > 0 && path.startsWith(g.match) && req.method === "POST");
    if (gated) {
      gated.remaining--;
      await gated.until;
      if (req.signal.aborted) return new Response(null, { status: 499 });
    }
    const failure = this.failures.find((f) => f.remaining > 0 && path.startsWith(f.match));
    if (failure) {
      failure.remaining--;
      return json({ type: "error", error: { type: "api_error", message: "scripted failure" } }, failure.status);
    }
    const body = req.method === "POST" ? ((await req.json().catch(() => ({}))) as Record<string, unknown>) : {};
    if (req.method === "GET" && path === "/v1/agents") return json({ data: [...this.agents.values()] });
    if (req.method === "POST" && path === "/v1/agents") {
      if (!body.name || !(body.model as { id?: string })?.id)
        return json({ type: "error", error: { message: "name and model.id are required" } }, 400);
      const agent = { id: this.newId("agent"), version: 1, ...body, created_at: new Date().toISOString() };
      this.agents.set(agent.id, agent);
      return json(agent);
    }
    if (req.method === "POST" && path === "/v1/environments") {
      const config = body.config as { type?: unknown; env?: unknown } | undefined;
      if (!body.name || config?.type !== "cloud")
        return json({ type: "error", error: { message: "name and config.type are required" } }, 400);
      if (
        config.env !== undefined &&
        (typeof config.env !== "object" || Object.values(config.env as object).some((v) => typeof v !== "string"))
      )
        return json({ type: "error", error: { message: "config.env must map names to strings" } }, 400);
      const environment = { id: this.newId("env"), ...body };
      this.environments.set(environment.id, environment);
      return json(environment);
    }
    if (req.method === "POST" && path === "/v1/sessions") {
      if (!this.agents.has(String(body.agent))) return json({ type: "error", error: { message: "unknown agent" } }, 404);
      if (body.environment_id !== undefined && !this.environments.has(String(body.environment_id)))
        return json({ type: "error", error: { message: "unknown environment" } }, 404);
      const resources = Array.isArray(body.resources) ? (body.resources as Array<Record<string, unknown>>) : [];
      if (resources.some((r) => r.type !== "github_repository" || typeof r.url !== "string"))
        return json({ type: "error", error: { message: "resources: unsupported resource" } }, 400);
      const s: FakeSession = {
        id: this.newId("sesn"),
        agent: String(body.agent),
        environmentId: body.environment_id === undefined ? null : String(body.environment_id),
        resources,
        received: [],
        status: "idle",
        events: [],
        streams: new Set(),
        pending: new Map(),
      };
      this.sessions.set(s.id, s);
      return json({ id: s.id, agent: s.agent, status: s.status, metadata: body.metadata ?? {} });
    }
    const m = /^\/v1\/sessions\/([^/]+)(\/events(\/stream)?)?$/.exec(path);
    const session = m ? this.sessions.get(decodeURIComponent(m[1]!)) : undefined;
    if (m && !session) return json({ type: "error", error: { type: "not_found_error", message: "session not found" } }, 404);
    if (session && !m![2]) {
      if (req.method === "GET") return json({ id: session.id, agent: session.agent, status: session.status });
      if (req.method === "DELETE") {
        this.forget(session.id);
        return json({ id: session.id, type: "session_deleted" });
      }
    }
    if (session && m![2] && !m![3]) {
      if (req.method === "GET") return json({ data: session.events });
      if (req.method === "POST") {
        const answer = this.receive(session, body);
        const hold = this.holds.find((h) => h.remaining > 0 && path.startsWith(h.match));
        if (hold) {
          hold.remaining--;
          this.onHold?.(path);
          await Bun.sleep(hold.ms);
        }
        return answer;
      }
    }
    if (session && m![3] && req.method === "GET") return this.stream(session, req.headers.get("last-event-id"));
    return json({ type: "error", error: { message: `no route ${req.method} ${path}` } }, 404);
  }

  private receive(session: FakeSession, body: Record<string, unknown>) {
    const events = Array.isArray(body.events) ? (body.events as Array<Record<string, unknown>>) : [];
    if (!events.length) return json({ type: "error", error: { message: "events: required" } }, 400);
    const receipts: Array<Record<string, unknown>> = [];
    for (const e of events) {
      if (e.type === "user.interrupt") {
        if (session.turn) {
          session.turn.cancelled = true;
          session.turn = undefined;
          session.status = "idle";
          this.emit(session, { type: "session.status_idle", stop_reason: { type: "interrupted" } });
        }
      } else if (e.type === "user.message") {
        const text = ((e.content as Array<{ text?: string }>) ?? []).map((p) => p.text ?? "").join("");
        session.received.push(e);
        // The answer names the recorded event by the same id the list and the stream use.
        receipts.push(this.emit(session, { type: "user.message", content: e.content }));
        void this.runTurn(session, this.reply(text, session));
        continue;
      } else if (e.type === "user.tool_confirmation") {
        const c = {
          tool_use_id: String(e.tool_use_id),
          result: e.result === "allow" ? "allow" : "deny",
          ...(typeof e.deny_message === "string" ? { deny_message: e.deny_message } : {}),
        } as FakeConfirmation;
        const tool = session.pending.get(c.tool_use_id);
        if (!tool || (e.result !== "allow" && e.result !== "deny")) {
          return json(
            {
              type: "error",
              error: { type: "invalid_request_error", message: `no tool_use ${c.tool_use_id} is waiting for confirmation` },
            },
            400,
          );
        }
        session.pending.delete(c.tool_use_id);
        this.confirmations.push(c);
        receipts.push(this.emit(session, { type: "user.tool_confirmation", ...c }));
        void this.runTurn(session, this.confirm(c, tool, session));
        continue;
      }
      receipts.push({ ...e, id: `sevt_${++this.seq}`, processed_at: null });
    }
    return json({ data: receipts });
  }

  private async runTurn(session: FakeSession, steps: FakeStep[]) {
    if (session.turn) session.turn.cancelled = true;
    const turn = { cancelled: false };
    session.turn = turn;
    session.status = "running";
    for (const step of steps) {
      if (turn.cancelled) return;
      if ("delay" in step) await Bun.sleep(step.delay);
      else if ("until" in step) await step.until;
      else if ("drop" in step) this.closeStreams(session);
      else if ("fail" in step) {
        this.emit(session, { type: "session.error", error: { message: step.fail } });
        break;
      } else this.emit(session, step.event);
      if (turn.cancelled) return;
    }
    if (session.turn === turn) {
      session.turn = undefined;
      session.status = "idle";
    }
  }

  private emit(session: FakeSession, event: Record<string, unknown>): Record<string, unknown> {
    const stored: Record<string, unknown> & { id: string } = { ...event, id: `sevt_${++this.seq}`, processed_at: new Date().toISOString() };
    // Like the real API, a tool result names its call by the tool_use's event id: a script may write
    // its own id on the tool_use and refer to it in the result, and it is translated here.
    session.scriptIds ??= new Map();
    if (event.type === "agent.tool_use" && typeof event.id === "string") session.scriptIds.set(event.id, stored.id);
    if (typeof event.tool_use_id === "string" && session.scriptIds.has(event.tool_use_id))
      stored.tool_use_id = session.scriptIds.get(event.tool_use_id);
    if (event.type === "agent.tool_use" && event.evaluated_permission === "ask")
      session.pending.set(stored.id, { name: String(event.name), input: event.input });
    const reason = stored.stop_reason as { type?: string; event_ids?: string[] } | undefined;
    if (stored.type === "session.status_idle" && reason?.type === "requires_action" && !reason.event_ids)
      stored.stop_reason = { ...reason, event_ids: [...session.pending.keys()] };
    session.events.push(stored);
    const frame = enc.encode(`id: ${stored.id}\nevent: ${stored.type}\ndata: ${JSON.stringify(stored)}\n\n`);
    for (const c of session.streams) {
      try {
        c.enqueue(frame);
      } catch {
        session.streams.delete(c);
      }
    }
    return stored;
  }

  private closeStreams(session: FakeSession) {
    for (const c of session.streams) {
      try {
        c.close();
      } catch {}
    }
    session.streams.clear();
  }

  private stream(session: FakeSession, lastEventId: string | null) {
    let ctrl!: ReadableStreamDefaultController<Uint8Array>;
    const stream = new ReadableStream<Uint8Array>({
      start: (c) => {
        ctrl = c;
        c.enqueue(enc.encode(": connected\n\n"));
        if (lastEventId) {
          const at = session.events.findIndex((e) => e.id === lastEventId);
          for (const e of session.events.slice(at + 1))
            c.enqueue(enc.encode(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`));
        }
        session.streams.add(c);
      },
      cancel: () => {
        session.streams.delete(ctrl);
      },
    });
    return new Response(stream, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } });
  }
}
