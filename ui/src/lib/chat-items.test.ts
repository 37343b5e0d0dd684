import { expect, test } from "bun:test";
import type { StoredEvent } from "./api";
import { queuedTurns, toItems } from "./chat-items";

let seq = 0;
const ev = (type: string, data: Record<string, unknown> = {}, turn_id: string | null = "t1"): StoredEvent => ({
  seq: ++seq,
  type,
  data,
  turn_id,
  created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
});

test("streamed pieces read as one reply, and the whole message replaces them (docs/sessions.md)", () => {
  const items = toItems([
    ev("user.message", { content: [{ type: "text", text: "hi" }] }),
    ev("session.status_running"),
    ev("agent.message_delta", { message_id: "m1", text: "Hel" }),
    ev("agent.message_delta", { message_id: "m1", text: "lo" }),
    ev("agent.message", { message_id: "m1", content: [{ type: "text", text: "Hello!" }] }),
    ev("session.status_idle", { stop_reason: { type: "end_turn" } }),
  ]);
  expect(items.map((i) => i.kind)).toEqual(["user", "assistant", "turn"]);
  expect(items[1]).toMatchObject({ kind: "assistant", text: "Hello!", messageId: "m1" });
});

test("a restarted model step starts its text over instead of doubling it", () => {
  const items = toItems([
    ev("agent.message_delta", { message_id: "m1", text: "Once upon" }),
    ev("agent.message_delta", { message_id: "m1", text: "Once", restarted: true }),
    ev("agent.message_delta", { message_id: "m1", text: " upon a time" }),
  ]);
  expect(items).toHaveLength(1);
  expect(items[0]).toMatchObject({ text: " upon a time" });
});

test("a tool result joins its call by id; an interrupted turn and a cut reply say so", () => {
  const items = toItems([
    ev("session.status_running"),
    ev("agent.tool_use", { id: "c1", name: "bash", input: { command: "ls" }, evaluated_permission: "ask" }),
    ev("agent.tool_result", { tool_use_id: "c1", content: "a.txt", is_error: false }),
    ev("agent.message", { message_id: "m2", content: [{ type: "text", text: "partial" }], incomplete: true }),
    ev("session.status_idle", { stop_reason: { type: "interrupted" } }),
  ]);
  expect(items.map((i) => i.kind)).toEqual(["tool", "assistant", "turn", "note"]);
  expect(items[0]).toMatchObject({ name: "bash", ask: true, result: "a.txt", isError: false });
  expect(items[1]).toMatchObject({ incomplete: true });
  expect(items[3]).toMatchObject({ text: "Turn stopped" });
});

test("only http(s) pull request links are shown", () => {
  const items = toItems([
    ev("session.pull_request", { url: "javascript:alert(1)", number: 1 }),
    ev("session.pull_request", { url: "https://github.com/o/r/pull/2", number: 2, repository: "o/r" }),
  ]);
  expect(items).toEqual([expect.objectContaining({ kind: "pull_request", url: "https://github.com/o/r/pull/2", number: 2 })]);
});

test("a user message is queued until its turn's runtime sends anything", () => {
  const events = [ev("user.message", {}, "a"), ev("session.status_running", {}, "a"), ev("user.message", {}, "b")];
  expect([...queuedTurns(events)]).toEqual(["b"]);
});
