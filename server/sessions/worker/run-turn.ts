import type { Logger } from "../../lib/logger";
import type { TurnMetricsSink } from "../../metrics/recorders";
import { MessageNotTakenError, type RuntimeAdapter, TurnLostError } from "../../runtimes/adapter";
import { MessageAssembler, noteStored, planWrite } from "../events/messages";
import type { AlsoInTx, EventStore, NewEvent } from "../events/store";
import type { TurnEnd } from "../status";
import type { ContentPart } from "../../../schema/session-events";
import type { TurnControl } from "./control";

export interface TurnInput {
  sessionId: string;
  remoteSessionId: string;
  turnId: string;
  content: ContentPart[];
  /** Runtime event id to resume after (re-attach); null for a fresh turn. */
  lastProviderEventId: string | null;
  /** true: the message is already at the runtime (re-attach), so only the stream is opened. */
  alreadySent: boolean;
  /** Re-attaching to a runtime that reports the session idle: its replay must end the turn soon. */
  expectEndSoon: boolean;
  deadlineAt: number;
  maxRuntimeMinutes: number;
  /** The worker already wrote this recovery's `session.recovered` (re-attach): the runtime's own is not stored again. */
  recoveredAlready?: boolean;
  /** Records that the runtime accepted the message (with its event id, when it said one). */
  onSent?: (eventId: string | null) => Promise<void>;
}

export interface TurnOutcome {
  status: "completed" | "interrupted" | "failed" | "stopped" | "detached";
  error?: string;
  /** The runtime lost the session: the session cannot continue. */
  fatal?: boolean;
  /** The turn's and the session's rows were written with the turn's terminal event (`endInTx`). */
  recorded?: boolean;
}

export interface RunTurnDeps {
  store: EventStore;
  adapter: RuntimeAdapter;
  log: Logger;
  /** How long an interrupted runtime gets to confirm before LAP closes the turn itself. */
  interruptGraceMs?: number;
  maxStreamDrops?: number;
  metrics?: TurnMetricsSink;
  /**
   * Writes the turn's end (the session's status) in the transaction of its terminal event, so a client
   * told of `session.status_idle` reads the session idle (../status.ts).
   */
  endInTx?: (end: TurnEnd) => AlsoInTx;
}

/**
 * Runs one turn against the runtime: open the stream, send the message, append every event, end
 * on a terminal event. A dropped stream is re-opened after the last runtime event id (each event
 * is still stored once: the provider id dedupes within the turn). Interrupt, stop, detach and the
 * agent's maximum runtime all end the loop through `finish`.
 */
export async function runTurn(deps: RunTurnDeps, input: TurnInput, control: TurnControl): Promise<TurnOutcome> {
  const { adapter, store } = deps;
  const startedAt = performance.now();
  let firstEventSeen = false;
  deps.metrics?.started();
  let outcome: TurnOutcome | undefined;
  let streamAbort = new AbortController();
  let lastPid = input.lastProviderEventId;
  const timers: Array<ReturnType<typeof setTimeout>> = [];
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));

  // Appends are chained so events keep their order; whatever arrives during a write goes in the next batch.
  // Streamed text becomes deltas and one agent.message per message (events/messages.ts); a re-attached
  // turn continues the message its stored deltas began.
  const resumed = input.lastProviderEventId || input.alreadySent ? await store.openMessage(input.sessionId, input.turnId) : null;
  const messages = new MessageAssembler(!!adapter.messageChunks, resumed);
  const storedFrom = new Map<string, number>(resumed ? [[resumed.messageId, resumed.fromSeq]] : []);
  let batch: NewEvent[] = [];
  let writing: Promise<void> = Promise.resolve();
  let recorded = false;
  /** The turn's end, set with its terminal event: whichever write takes that event writes the end with it. */
  let ending: TurnEnd | undefined;
  const push = (e: NewEvent) => batch.push(...messages.accept(e));
  /** `end`: the batch now holds the turn's terminal event. */
  const flush = (end?: TurnEnd) => {
    if (end) ending = end;
    writing = writing
      .then(async () => {
        if (!batch.length) return;
        const { events, compact } = planWrite(batch, storedFrom);
        batch = [];
        const turnEnd = ending;
        ending = undefined;
        const also = turnEnd && events.length ? deps.endInTx?.(turnEnd) : undefined;
        noteStored(await store.append(input.sessionId, events, input.turnId, compact, also), storedFrom);
        if (also) recorded = true;
      })
      .catch((err) => {
        deps.log.error({ err, session_id: input.sessionId }, "appending turn events failed");
        finish({ status: "failed", error: "LAP could not store the turn's events" });
      });
    return writing;
  };
  /** LAP's own events (timeouts, synthetic interrupts) go through the same ordered chain. */
  const appendOwn = (type: string, data: Record<string, unknown>, end?: TurnEnd) => {
    push({ type, data: { type, ...data } });
    return flush(end);
  };

  /**
   * The turn cannot finish (its sandbox is gone, or a runtime that says it is idle never ended it):
   * say why, and end it `interrupted` with the reply so far marked incomplete; never `end_turn`.
   */
  const lostTurn = (reason: string, message: string) => {
    // The message being streamed is closed incomplete first (events/messages.ts), then the turn's end.
    batch.push(...messages.close(true));
    push({ type: "session.error", data: { type: "session.error", error: { type: "turn_lost", reason, message } } });
    push({
      type: "session.status_idle",
      data: { type: "session.status_idle", stop_reason: { type: "interrupted", reason }, incomplete: true },
    });
    const end: TurnEnd = { status: "interrupted", error: message };
    return flush(end).then(() => finish(end));
  };

  function finish(o: TurnOutcome) {
    if (outcome) return;
    outcome = o;
    streamAbort.abort();
    done();
  }

  control.on({
    interrupt: () => {
      adapter.interrupt(input.remoteSessionId).catch((err) => deps.log.warn({ err }, "runtime interrupt failed"));
      timers.push(
        setTimeout(() => {
          if (outcome) return;
          const end: TurnEnd = { status: "interrupted" };
          void appendOwn("session.status_idle", { stop_reason: { type: "interrupted" } }, end).then(() => finish(end));
        }, deps.interruptGraceMs ?? 5_000),
      );
    },
    stop: () => {
      // What was not written yet is dropped, but a message already streaming is kept, marked incomplete.
      batch = messages.close(true);
      void flush();
      finish({ status: "stopped" });
    },
    detach: () => finish({ status: "detached" }),
  });

  timers.push(
    setTimeout(
      () => {
        if (outcome) return;
        const message = `The turn exceeded the agent's maximum runtime of ${input.maxRuntimeMinutes} minute${input.maxRuntimeMinutes === 1 ? "" : "s"} and was stopped`;
        adapter.interrupt(input.remoteSessionId).catch(() => {});
        const end: TurnEnd = { status: "failed", error: message };
        void appendOwn("session.error", { error: { message, type: "max_runtime_exceeded" } }, end).then(() => finish(end));
      },
      Math.max(0, input.deadlineAt - Date.now()),
    ),
  );
  if (input.expectEndSoon)
    timers.push(
      setTimeout(() => {
        if (outcome) return;
        void lostTurn(
          "runtime_lost_turn",
          "LAP restarted during this turn and the runtime, which reports the session idle, did not send the turn's end; the reply so far is incomplete",
        );
      }, 3_000),
    );

  // One session.recovered per recovery: on a re-attach the worker wrote it, so the runtime's first one is dropped.
  let skipRecovered = input.recoveredAlready ?? false;
  const consume = async () => {
    let sent = input.alreadySent;
    let drops = 0;
    while (!outcome) {
      streamAbort = new AbortController();
      let opened!: () => void;
      const open = new Promise<void>((r) => (opened = r));
      try {
        const reading = (async () => {
          for await (const ev of adapter.streamEvents(input.remoteSessionId, {
            signal: streamAbort.signal,
            afterEventId: lastPid ?? undefined,
            onOpen: opened,
            resuming: sent,
          })) {
            if (outcome) return;
            if (ev.providerEventId) lastPid = ev.providerEventId;
            // LAP stored the user message (or confirmation) when it was posted; the runtime's echo is not stored twice.
            if (ev.event.type === "user.message" || ev.event.type === "user.tool_confirmation") continue;
            if (ev.event.type === "session.recovered" && skipRecovered) {
              skipRecovered = false;
              continue;
            }
            skipRecovered = false;
            // Time to first event: the runtime's first own event (not its echo of the message).
            if (!firstEventSeen) {
              firstEventSeen = true;
              deps.metrics?.firstEvent((performance.now() - startedAt) / 1000);
            }
            push({ type: ev.event.type, data: ev.event as Record<string, unknown>, providerEventId: ev.providerEventId });
            const end = turnEndOf(ev.event, control.interrupted);
            if (!end) {
              void flush();
              continue;
            }
            // The terminal event and the turn's end are one write (RunTurnDeps.endInTx).
            await flush(end);
            return finish(end);
          }
        })();
        if (!sent) {
          await Promise.race([open, reading]);
          if (outcome) break;
          const accepted = await adapter.sendMessage(input.remoteSessionId, input.content);
          sent = true;
          // Not used as this stream's resume point: only ids the stream itself gave are (the runtime's
          // echo of the message sets lastPid above); a re-attach checks this id against the runtime's list.
          const eventId = accepted?.eventId ?? null;
          await input
            .onSent?.(eventId)
            .catch((err) => deps.log.warn({ err, session_id: input.sessionId }, "could not record that the message was sent"));
        }
        await reading;
      } catch (err) {
        if (outcome) break;
        if (err instanceof TurnLostError) return lostTurn(err.reason, err.message);
        if (!sent && !(err instanceof MessageNotTakenError)) {
          const end: TurnEnd = { status: "failed", error: `The runtime did not accept the message: ${(err as Error).message}` };
          await appendOwn("session.error", { error: { message: end.error } }, end);
          return finish(end);
        }
        deps.log.warn({ err, session_id: input.sessionId }, "runtime stream failed");
      }
      if (outcome) break;
      drops++;
      const state = await adapter.sessionState(input.remoteSessionId).catch(() => "unknown" as const);
      if (state === "missing" || state === "terminated") {
        const end: TurnEnd = { status: "failed", error: "The runtime no longer has this session", fatal: true };
        await appendOwn("session.error", { error: { message: end.error } }, end);
        return finish(end);
      }
      if (drops > (deps.maxStreamDrops ?? 8)) {
        const end: TurnEnd = { status: "failed", error: `The runtime stream dropped ${drops} times; giving up on this turn` };
        await appendOwn("session.error", { error: { message: end.error } }, end);
        return finish(end);
      }
      await Bun.sleep(Math.min(100 * 2 ** drops, 3_000));
    }
  };
  void consume().catch((err) => finish({ status: "failed", error: (err as Error).message }));
  await finished;
  for (const t of timers) clearTimeout(t);
  // A turn that ended without a runtime event after its last message (failed, interrupted by LAP)
  // still stores it whole; a detached turn leaves its deltas for the process that re-attaches.
  if (outcome!.status !== "detached" && outcome!.status !== "stopped" && messages.current) {
    batch.push(...messages.close(outcome!.status !== "completed"));
    void flush();
  }
  await writing;
  deps.metrics?.finished(outcome!.status, (performance.now() - startedAt) / 1000);
  return { ...outcome!, recorded };
}

/** How a runtime event ends the turn, or undefined when it does not (an error fails it; idle ends it). */
function turnEndOf(event: { type: string }, interrupted: boolean): TurnEnd | undefined {
  if (event.type === "session.error")
    return { status: "failed", error: (event as unknown as { error: { message: string } }).error.message };
  if (event.type !== "session.status_idle") return undefined;
  const reason = (event as { stop_reason?: { type?: string } }).stop_reason?.type;
  return { status: reason === "interrupted" || interrupted ? "interrupted" : "completed" };
}
