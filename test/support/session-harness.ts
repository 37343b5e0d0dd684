/**
 * A real LAP app listening on loopback port 0, wired to the fake Managed Agents runtime, with one
 * registered runtime and one agent. Used by the sessions, agents and runtimes tests.
 */
import type { AppDeps, SessionOptions } from "../../server/app";
import type { StoredEvent } from "../../server/sessions/model";
import { createTestApp, TEST_MASTER_KEY, type TestApp } from "./app";
import { FakeManagedAgents, type FakeRuntimeOptions } from "./fake-managed-agents";

export interface SessionHarness {
  t: TestApp;
  fake: FakeManagedAgents;
  url: string;
  runtimeId: string;
  agentId: string;
  createSession(body?: Record<string, unknown>): Promise<any>;
  send(sessionId: string, text: string, extra?: Record<string, unknown>): Promise<{ status: number; body: any }>;
  events(sessionId: string, after?: number): Promise<StoredEvent[]>;
  waitFor<T>(what: string, fn: () => Promise<T | undefined | false | null>, timeoutMs?: number): Promise<T>;
  waitForStatus(sessionId: string, status: string, timeoutMs?: number): Promise<any>;
  waitForEvent(sessionId: string, pred: (e: StoredEvent) => boolean, timeoutMs?: number): Promise<StoredEvent>;
  close(): Promise<void>;
}

export async function sessionHarness(
  opts: {
    fake?: FakeRuntimeOptions;
    session?: SessionOptions;
    agent?: Record<string, unknown>;
    env?: Record<string, string>;
    app?: Partial<AppDeps>;
  } = {},
): Promise<SessionHarness> {
  const fake = new FakeManagedAgents(opts.fake).start();
  // Started like main, the warm pool would pre-create sandboxes for these agents in the background.
  const t = await createTestApp(
    { WARM_POOL_SIZE: "0", ...opts.env },
    {
      ...opts.app,
      sessionOptions: { sweepIntervalMs: 500, interruptGraceMs: 1_000, maxStreamDrops: 3, ...opts.session },
    },
  );
  // Started as server/main.ts starts it (server/app/lifecycle.ts), listening on a free loopback port.
  const server = await t.start(() => {
    t.app.listen({ port: 0, hostname: "127.0.0.1", idleTimeout: 30 });
    return t.app.server!;
  });
  const url = `http://127.0.0.1:${server.port}`;
  const rt = await t.json("POST", "/api/runtimes", { body: { alias: "fake", base_url: fake.url, api_key: fake.apiKey } });
  if (rt.status !== 201) throw new Error(`runtime: ${JSON.stringify(rt.body)}`);
  const ag = await t.json("POST", "/api/agents", {
    body: { name: "helper", model: "claude-sonnet-4-5", system_prompt: "Be brief.", runtime_id: rt.body.id, ...opts.agent },
  });
  if (ag.status !== 201) throw new Error(`agent: ${JSON.stringify(ag.body)}`);

  const h: SessionHarness = {
    t,
    fake,
    url,
    runtimeId: rt.body.id,
    agentId: ag.body.id,
    async createSession(body = {}) {
      const res = await t.json("POST", "/api/sessions", { body: { agent_id: h.agentId, ...body } });
      if (res.status !== 201) throw new Error(`session: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async send(sessionId, text, extra = {}) {
      return t.json("POST", `/api/sessions/${sessionId}/messages`, { body: { text, ...extra } });
    },
    async events(sessionId, after = 0) {
      const res = await t.json("GET", `/api/sessions/${sessionId}/events?after=${after}&limit=1000`);
      return res.body.data;
    },
    async waitFor(what, fn, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        const v = await fn();
        if (v) return v as never;
        await Bun.sleep(20);
      }
      throw new Error(`timed out waiting for ${what}`);
    },
    waitForStatus(sessionId, status, timeoutMs) {
      return h.waitFor(
        `session ${sessionId} ${status}`,
        async () => {
          const res = await t.json("GET", `/api/sessions/${sessionId}`);
          return res.body.status === status ? res.body : undefined;
        },
        timeoutMs,
      );
    },
    waitForEvent(sessionId, pred, timeoutMs) {
      return h.waitFor(`event on ${sessionId}`, async () => (await h.events(sessionId)).find(pred), timeoutMs);
    },
    async close() {
      await t.stop();
      await fake.stop();
      await t.close();
    },
  };
  return h;
}

export const authHeaders = { authorization: `Bearer ${TEST_MASTER_KEY}` };

/** Reads SSE frames from a fetch Response until `stop` says so. */
export async function readSse(res: Response, stop: (events: StoredEvent[]) => boolean, timeoutMs = 10_000): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = "";
  const deadline = setTimeout(() => reader.cancel(), timeoutMs);
  try {
    while (!stop(out)) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let i: number;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const frame = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = frame
          .split("\n")
          .filter((l) => l.startsWith("data: "))
          .map((l) => l.slice(6))
          .join("\n");
        if (data) out.push(JSON.parse(data));
      }
    }
  } finally {
    clearTimeout(deadline);
    await reader.cancel().catch(() => {});
  }
  return out;
}
