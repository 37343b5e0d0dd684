/**
 * GET /api/sessions/stream: the dashboard's live sessions list. Every change arrives through the
 * database trigger and LISTEN/NOTIFY (there is no in-process shortcut), so what one app sees here
 * is what any replica sees (replicas.test.ts covers two replicas on one Postgres database).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { authHeaders, sessionHarness, type SessionHarness } from "../../../test/support/session-harness";
import type { SessionStatusChange } from "../model";

let h: SessionHarness;
beforeAll(async () => {
  h = await sessionHarness({ session: { heartbeatMs: 200 } });
}, 60_000);
afterAll(() => h?.close());

/** Reads `event: status` frames from an open SSE response into `out` until the stream ends. */
function collect(res: Response) {
  const out: SessionStatusChange[] = [];
  let raw = "";
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  const done = (async () => {
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      const text = dec.decode(value, { stream: true });
      raw += text;
      buf += text;
      let i: number;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const frame = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (!frame.includes("event: status")) continue;
        const data = frame.split("\n").find((l) => l.startsWith("data: "));
        if (data) out.push(JSON.parse(data.slice(6)));
      }
    }
  })();
  return { out, raw: () => raw, close: () => reader.cancel().catch(() => {}), done };
}

const open = async (query = "") => {
  const res = await fetch(`${h.url}/api/sessions/stream${query}`, { headers: authHeaders });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/event-stream");
  return collect(res);
};

describe("session status stream", () => {
  test("needs auth", async () => {
    expect((await fetch(`${h.url}/api/sessions/stream`)).status).toBe(401);
    expect((await fetch(`${h.url}/api/sessions/stream`, { headers: { authorization: "Bearer wrong-key-000000000000" } })).status).toBe(401);
  });

  test("a new session, its status changes, stop and delete each arrive once, in order", async () => {
    const c = await open();
    const s = await h.createSession({ prompt: "hi" });
    await h.waitForEvent(s.id, (e) => e.type === "session.status_idle");
    await h.waitForStatus(s.id, "idle");
    await h.waitFor("idle on the stream", async () => c.out.filter((x) => x.id === s.id).at(-1)?.status === "idle");
    await h.t.json("POST", `/api/sessions/${s.id}/stop`);
    await h.t.json("DELETE", `/api/sessions/${s.id}`);
    await h.waitFor("delete on the stream", async () => c.out.some((x) => x.id === s.id && x.op === "delete"));
    c.close();
    const mine = c.out.filter((x) => x.id === s.id);
    expect(mine[0]).toMatchObject({ op: "insert", status: "creating", agent_id: h.agentId });
    expect(mine.map((x) => `${x.op}:${x.status}`)).toEqual([
      "insert:creating",
      "update:idle",
      "update:running",
      "update:idle",
      "update:stopped",
      "delete:stopped",
    ]);
    expect(Number.isNaN(Date.parse(mine[1]!.updated_at))).toBe(false);
  });

  test("events appended to a session do not flood the stream (only status changes do)", async () => {
    const s = await h.createSession();
    await h.waitForStatus(s.id, "idle");
    const c = await open();
    await h.t.services.sessions.sessions.append(
      s.id,
      Array.from({ length: 20 }, (_, i) => ({ type: "agent.message", data: { content: [{ type: "text", text: `x${i}` }] } })),
    );
    await h.t.json("POST", `/api/sessions/${s.id}/stop`);
    await h.waitFor("stop on the stream", async () => c.out.some((x) => x.id === s.id && x.status === "stopped"));
    c.close();
    expect(c.out.filter((x) => x.id === s.id)).toHaveLength(1);
  });

  test("?agent_id= keeps only that agent's sessions; bad query is a 400 naming the field", async () => {
    const other = await h.t.json("POST", "/api/agents", { body: { name: "other-agent", model: "m", runtime_id: h.runtimeId } });
    const c = await open(`?agent_id=${other.body.id}`);
    const mine = await h.createSession();
    const theirs = await h.createSession({ agent_id: other.body.id });
    await h.waitFor("theirs on the stream", async () => c.out.some((x) => x.id === theirs.id && x.status === "idle"));
    await h.waitForStatus(mine.id, "idle");
    c.close();
    expect(c.out.every((x) => x.agent_id === other.body.id)).toBe(true);
    const bad = await fetch(`${h.url}/api/sessions/stream?agent_id=${"x".repeat(65)}`, { headers: authHeaders });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.fields[0].field).toBe("agent_id");
  });

  test("quiet streams get heartbeats", async () => {
    const c = await open();
    await h.waitFor("heartbeat", async () => c.raw().includes(": heartbeat"), 3_000);
    c.close();
  });
});
