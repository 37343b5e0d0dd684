/**
 * One message is one event (docs/sessions.md "Messages and deltas"): a reply streamed in pieces is
 * stored as `agent.message_delta` while it streams and as ONE `agent.message` once it ends; clients
 * see the deltas live, then the message; a client that reconnects mid-message gets the text so far,
 * then the rest, nothing twice. The runtime is the fake Managed Agents runtime (real HTTP + SSE)
 * marked as streaming in pieces, the way LAP's sandbox runtime does (server/runtimes/adapter.ts
 * `messageChunks`).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { FakeStep } from "../../test/support/fake-managed-agents";
import { authHeaders, sessionHarness, type SessionHarness } from "../../test/support/session-harness";
import { ChunkedRuntime, chunkedRuntimes } from "../../test/support/chunked-runtime";
import { createLogger } from "../lib/logger";
import { MessageAssembler, noteStored, planWrite } from "./events/messages";
import { TurnControl } from "./worker/control";
import { runTurn } from "./worker/run-turn";
import type { StoredEvent } from "./model";

let h: SessionHarness;
beforeAll(async () => {
  h = await sessionHarness({ session: chunkedRuntimes });
}, 60_000);
afterAll(() => h?.close());

const piece = (text: string): FakeStep => ({ event: { type: "agent.message", content: [{ type: "text", text }] } });
const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i} `);
const textOf = (e: StoredEvent) => ((e.data.content as Array<{ text: string }>) ?? []).map((c) => c.text).join("");
const deltaRows = async (sessionId: string) =>
  (
    await h.t.database.query<{ n: number }>(
      "select count(*)::int as n from session_events where session_id = $1 and type = 'agent.message_delta'",
      [sessionId],
    )
  )[0]!.n;

/** A reply of `chunks`, held after the first `holdAfter` until `release()`. */
function heldReply(chunks: string[], holdAfter: number) {
  let release!: () => void;
  const until = new Promise<void>((r) => (release = r));
  const steps: FakeStep[] = [
    { event: { type: "session.status_running" } },
    ...chunks.slice(0, holdAfter).map(piece),
    { until },
    ...chunks.slice(holdAfter).map(piece),
    { event: { type: "session.status_idle", stop_reason: { type: "end_turn" } } },
  ];
  return { steps, release };
}

function openWs(sessionId: string, after: number) {
  const ws = new WebSocket(`${h.url.replace("http", "ws")}/api/sessions/${sessionId}/stream?after=${after}`, {
    headers: authHeaders,
  } as never);
  const received: StoredEvent[] = [];
  ws.onmessage = (m) => received.push(JSON.parse(String(m.data)));
  const opened = new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error("websocket refused"));
  });
  return { ws, received, opened };
}

const deltaText = (events: StoredEvent[]) =>
  events
    .filter((e) => e.type === "agent.message_delta")
    .map((e) => String(e.data.text))
    .join("");

describe("a reply streamed in pieces", () => {
  test("a reply of N deltas is one stored agent.message, and no delta stays in the log", async () => {
    const chunks = words(40);
    h.fake.reply = () => [
      { event: { type: "session.status_running" } },
      ...chunks.map(piece),
      { event: { type: "session.status_idle", stop_reason: { type: "end_turn" } } },
    ];
    const s = await h.createSession({ prompt: "talk" });
    await h.waitForEvent(s.id, (e) => e.type === "session.status_idle");
    const events = await h.events(s.id);
    const messages = events.filter((e) => e.type === "agent.message");
    expect(messages).toHaveLength(1);
    expect(textOf(messages[0]!)).toBe(chunks.join(""));
    expect(messages[0]!.data.message_id).toStartWith("msg_");
    expect(messages[0]!.data.incomplete).toBeUndefined();
    expect(await deltaRows(s.id)).toBe(0);
    // The full list (with deltas) is the same: they were compacted, not hidden.
    const full = (await h.t.json("GET", `/api/sessions/${s.id}/events?after=0&deltas=true`)).body.data as StoredEvent[];
    expect(full.map((e) => e.seq)).toEqual(events.map((e) => e.seq));
  });

  test("text, a tool call, more text: two messages in order around the call", async () => {
    h.fake.reply = () => [
      { event: { type: "session.status_running" } },
      piece("Let me "),
      piece("look."),
      { event: { type: "agent.tool_use", id: "toolu_1", name: "bash", input: { command: "ls" } } },
      { event: { type: "agent.tool_result", tool_use_id: "toolu_1", content: [{ type: "text", text: "a b" }], is_error: false } },
      piece("Found "),
      piece("two."),
      { event: { type: "session.status_idle", stop_reason: { type: "end_turn" } } },
    ];
    const s = await h.createSession({ prompt: "look" });
    await h.waitForEvent(s.id, (e) => e.type === "session.status_idle");
    const events = (await h.events(s.id)).filter((e) => e.turn_id);
    expect(events.map((e) => e.type)).toEqual([
      "user.message",
      "session.status_running",
      "agent.message",
      "agent.tool_use",
      "agent.tool_result",
      "agent.message",
      "session.status_idle",
    ]);
    expect(events.filter((e) => e.type === "agent.message").map(textOf)).toEqual(["Let me look.", "Found two."]);
  });

  test("a turn that fails mid-message stores the text so far as one message marked incomplete", async () => {
    h.fake.reply = () => [{ event: { type: "session.status_running" } }, piece("Half "), piece("a thought"), { fail: "model crashed" }];
    const s = await h.createSession({ prompt: "fail" });
    await h.waitForEvent(s.id, (e) => e.type === "session.error");
    const events = (await h.events(s.id)).filter((e) => e.turn_id);
    expect(events.map((e) => e.type)).toEqual(["user.message", "session.status_running", "agent.message", "session.error"]);
    expect(events[2]!.data).toMatchObject({ incomplete: true, content: [{ type: "text", text: "Half a thought" }] });
    expect(await deltaRows(s.id)).toBe(0);
  });
});

describe("streams", () => {
  test("a WebSocket client sees the deltas live, then the message that replaces them", async () => {
    const s = await h.createSession();
    await h.waitForStatus(s.id, "idle");
    const chunks = words(12);
    const held = heldReply(chunks, 6);
    h.fake.reply = () => held.steps;
    const client = openWs(s.id, 0);
    await client.opened;
    expect((await h.send(s.id, "go")).status).toBe(202);
    await h.waitFor("the first deltas", async () => deltaText(client.received) === chunks.slice(0, 6).join(""));
    // Mid-message, the event list (whole messages) has no message yet; the stored deltas hold the text so far.
    expect((await h.events(s.id)).some((e) => e.type === "agent.message")).toBe(false);
    held.release();
    await h.waitFor("the message", async () => client.received.some((e) => e.type === "session.status_idle"));
    client.ws.close();
    const seqs = client.received.map((e) => e.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    const deltas = client.received.filter((e) => e.type === "agent.message_delta");
    const message = client.received.find((e) => e.type === "agent.message")!;
    // Pieces that reach LAP together with the end of their message are not stored as deltas: the message carries them.
    expect(deltaText(deltas).length).toBeGreaterThanOrEqual(chunks.slice(0, 6).join("").length);
    expect(chunks.join("").startsWith(deltaText(deltas))).toBe(true);
    expect(textOf(message)).toBe(chunks.join(""));
    expect(deltas.every((d) => d.data.message_id === message.data.message_id)).toBe(true);
    expect(message.seq).toBeGreaterThan(deltas.at(-1)!.seq);
  });

  test("a client that reconnects mid-message gets the text so far, then the rest, nothing doubled", async () => {
    const s = await h.createSession();
    await h.waitForStatus(s.id, "idle");
    const chunks = words(10);
    const held = heldReply(chunks, 4);
    h.fake.reply = () => held.steps;
    const first = openWs(s.id, 0);
    await first.opened;
    expect((await h.send(s.id, "go")).status).toBe(202);
    // Sees the first piece(s), then drops.
    await h.waitFor("a delta", async () => first.received.some((e) => e.type === "agent.message_delta"));
    first.ws.close();
    const seen = [...first.received];
    const lastSeq = seen.at(-1)!.seq;
    const shown = deltaText(seen);
    // Reconnects with its last seq while the message is still being written; a new client starts at 0.
    const second = openWs(s.id, lastSeq);
    const fresh = openWs(s.id, 0);
    await Promise.all([second.opened, fresh.opened]);
    const soFar = chunks.slice(0, 4).join("");
    await h.waitFor("the text so far", async () => shown + deltaText(second.received) === soFar && deltaText(fresh.received) === soFar);
    held.release();
    await h.waitFor(
      "the end of the turn",
      async () =>
        second.received.some((e) => e.type === "session.status_idle") && fresh.received.some((e) => e.type === "session.status_idle"),
    );
    second.ws.close();
    fresh.ws.close();
    const all = [...seen, ...second.received];
    const seqs = all.map((e) => e.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(Math.min(...second.received.map((e) => e.seq))).toBeGreaterThan(lastSeq);
    for (const streamed of [shown + deltaText(second.received), deltaText(fresh.received)])
      expect(chunks.join("").startsWith(streamed) && streamed.length >= soFar.length).toBe(true);
    expect(all.filter((e) => e.type === "agent.message").map(textOf)).toEqual([chunks.join("")]);
    expect(fresh.received.filter((e) => e.type === "agent.message").map(textOf)).toEqual([chunks.join("")]);
  }, 30_000);

  test("a client that reconnects after the message was stored gets it whole (the compacted deltas leave a gap it skips)", async () => {
    const s = await h.createSession();
    await h.waitForStatus(s.id, "idle");
    const chunks = words(6);
    const held = heldReply(chunks, 3);
    h.fake.reply = () => held.steps;
    const first = openWs(s.id, 0);
    await first.opened;
    expect((await h.send(s.id, "go")).status).toBe(202);
    await h.waitFor("a delta", async () => first.received.some((e) => e.type === "agent.message_delta"));
    first.ws.close();
    const lastSeq = first.received.at(-1)!.seq;
    held.release();
    await h.waitForEvent(s.id, (e) => e.type === "session.status_idle");
    const second = openWs(s.id, lastSeq);
    await second.opened;
    await h.waitFor("the replay", async () => second.received.some((e) => e.type === "session.status_idle"));
    second.ws.close();
    expect(second.received.map((e) => e.type)).toEqual(["agent.message", "session.status_idle"]);
    expect(textOf(second.received[0]!)).toBe(chunks.join(""));
    // SSE replays the same way.
    const sse = await fetch(`${h.url}/api/sessions/${s.id}/stream?after=${lastSeq}`, { headers: authHeaders });
    const reader = sse.body!.getReader();
    let body = "";
    while (!body.includes("session.status_idle")) body += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect([...body.matchAll(/^event: (.+)$/gm)].map((m) => m[1])).toEqual(["agent.message", "session.status_idle"]);
  });

  test("the event list refuses a bad deltas flag, naming it", async () => {
    const s = await h.createSession();
    const res = await h.t.json("GET", `/api/sessions/${s.id}/events?deltas=maybe`);
    expect(res.status).toBe(400);
    expect(res.body.error.fields[0].field).toBe("deltas");
  });
});

describe("a LAP that lets go mid-message (SIGTERM detaches, a restart re-attaches)", () => {
  test("the re-attached turn continues the same message: one agent.message with all the text", async () => {
    const s = await h.createSession();
    await h.waitForStatus(s.id, "idle");
    const [row] = await h.t.database.query<{ remote_session_id: string }>("select remote_session_id from sessions where id = $1", [s.id]);
    const store = h.t.services.sessions.store;
    const adapter = new ChunkedRuntime({ baseUrl: h.fake.url, apiKey: h.fake.apiKey });
    const chunks = words(8);
    const held = heldReply(chunks, 3);
    h.fake.reply = () => held.steps;
    const turnId = `turn_reattach_${Date.now()}`;
    const deps = { store, adapter, log: createLogger("silent") };
    const input = {
      sessionId: s.id,
      remoteSessionId: row!.remote_session_id,
      turnId,
      content: [{ type: "text", text: "go" }],
      lastProviderEventId: null,
      alreadySent: false,
      expectEndSoon: false,
      deadlineAt: Date.now() + 60_000,
      maxRuntimeMinutes: 1,
    };
    const first = new TurnControl(turnId);
    const running = runTurn(deps, input, first);
    const stored = async () => (await store.list(s.id, 0, 1000)).filter((e) => e.turn_id === turnId);
    await h.waitFor("the first pieces", async () => deltaText(await stored()) === chunks.slice(0, 3).join(""));
    first.detach();
    expect((await running).status).toBe("detached");
    // Left as deltas for whoever re-attaches.
    expect((await stored()).map((e) => e.type)).toEqual([
      "session.status_running",
      ...(await stored()).slice(1).map(() => "agent.message_delta"),
    ]);
    const messageId = (await stored()).find((e) => e.type === "agent.message_delta")!.data.message_id;

    const second = new TurnControl(turnId);
    const resumed = runTurn(
      deps,
      { ...input, alreadySent: true, lastProviderEventId: await store.lastProviderEventId(s.id, turnId) },
      second,
    );
    held.release();
    expect((await resumed).status).toBe("completed");
    const events = await stored();
    expect(events.map((e) => e.type)).toEqual(["session.status_running", "agent.message", "session.status_idle"]);
    expect(events[1]!.data).toMatchObject({ message_id: messageId, content: [{ type: "text", text: chunks.join("") }] });
    expect(events[1]!.data.incomplete).toBeUndefined();
  }, 30_000);
});

describe("assembling (events/messages.ts)", () => {
  test("pieces become deltas of one message; the next event closes it; a batch never stores deltas of a message it also holds", () => {
    const m = new MessageAssembler(true);
    const out = [
      ...m.accept({
        type: "agent.message",
        data: { type: "agent.message", content: [{ type: "text", text: "a" }] },
        providerEventId: "p1",
      }),
      ...m.accept({
        type: "agent.message",
        data: { type: "agent.message", content: [{ type: "text", text: "b" }] },
        providerEventId: "p2",
      }),
      ...m.accept({ type: "agent.tool_use", data: { type: "agent.tool_use", name: "bash" }, providerEventId: "p3" }),
    ];
    expect(out.map((e) => e.type)).toEqual(["agent.message_delta", "agent.message_delta", "agent.message", "agent.tool_use"]);
    const id = out[0]!.data.message_id;
    expect(out[2]!.data).toEqual({ type: "agent.message", content: [{ type: "text", text: "ab" }], message_id: id });
    const storedFrom = new Map<string, number>();
    expect(planWrite(out, storedFrom).events.map((e) => e.type)).toEqual(["agent.message", "agent.tool_use"]);
    // Deltas written in an earlier batch: adjacent ones merge, and the message then compacts them.
    const early = planWrite(out.slice(0, 2), storedFrom);
    expect(early.events).toEqual([
      { type: "agent.message_delta", data: { type: "agent.message_delta", message_id: id, text: "ab" }, providerEventId: "p2" },
    ]);
    noteStored([{ seq: 7, type: "agent.message_delta", data: early.events[0]!.data, turn_id: "t", created_at: "" }], storedFrom);
    expect(planWrite(out.slice(2), storedFrom).compact).toEqual([{ messageId: String(id), fromSeq: 7 }]);
  });

  test("a runtime that sends whole messages keeps them whole; a resumed message continues under its id", () => {
    const whole = new MessageAssembler(false);
    const msg = { type: "agent.message", data: { type: "agent.message", content: [{ type: "text", text: "hi" }] } };
    expect(whole.accept(msg)).toEqual([msg]);
    // Ids are LAP's: a runtime cannot name deltas (its own or another message's) for a message to replace.
    expect(whole.accept({ ...msg, data: { ...msg.data, message_id: "msg_guess", incomplete: false } })).toEqual([msg]);
    const chunked = new MessageAssembler(true);
    const [delta] = chunked.accept({
      type: "agent.message_delta",
      data: { type: "agent.message_delta", message_id: "msg_guess", text: "x" },
    });
    expect(delta!.data.message_id).not.toBe("msg_guess");
    const resumed = new MessageAssembler(true, { messageId: "msg_x", text: "so far ", fromSeq: 3 });
    resumed.accept({ type: "agent.message", data: { type: "agent.message", content: [{ type: "text", text: "and more" }] } });
    expect(resumed.close(true)).toEqual([
      {
        type: "agent.message",
        data: { type: "agent.message", content: [{ type: "text", text: "so far and more" }], message_id: "msg_x", incomplete: true },
      },
    ]);
  });

  test("a model step the built-in agent tried again after a restart: the broken attempt's text is not in the message", () => {
    const m = new MessageAssembler(true, { messageId: "msg_r", text: "The answ", fromSeq: 4 });
    const piece = (text: string) => ({ type: "agent.message", data: { type: "agent.message", content: [{ type: "text", text }] } });
    const [marker] = m.accept({
      type: "agent.message",
      data: { type: "agent.message", content: [], restarted: { reason: "gateway unreachable", attempt: 2 } },
    });
    expect(marker!.data).toMatchObject({ type: "agent.message_delta", message_id: "msg_r", text: "" });
    m.accept(piece("The answer "));
    m.accept(piece("is 42."));
    expect(m.close()).toEqual([
      {
        type: "agent.message",
        data: { type: "agent.message", content: [{ type: "text", text: "The answer is 42." }], message_id: "msg_r" },
      },
    ]);
  });
});
