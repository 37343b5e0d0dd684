/**
 * Two LAP "replicas" (two session modules: own worker, bus and lock connection) on one PostgreSQL
 * database. Turns of one session never overlap whichever replica receives the message, and a client
 * on one replica sees events produced by the other. PGlite is single-process, so this runs on Postgres.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { TEST_MASTER_KEY } from "../../test/support/app";
import { echoReply } from "../../test/support/fake-managed-agents";
import { sessionHarness, type SessionHarness } from "../../test/support/session-harness";
import { NEEDS_POSTGRES, requires } from "../../test/support/skip";
import { approvalSideEffects, approvalsForSessions } from "../approvals/record";
import { createSecretBox } from "../lib/crypto";
import { createLogger } from "../lib/logger";
import { RuntimeService } from "../runtimes/service";
import type { StoredEvent } from "./model";
import { createSessionModule, type SessionModule } from "./module";
import { StreamTokens } from "./stream/tokens";
import { createAuthGuard } from "../http/auth-guard";

let h: SessionHarness;
let b: SessionModule;
beforeAll(async () => {
  if (NEEDS_POSTGRES) return; // the tests below report themselves skipped
  // Replicas share the database and the keys, as they would in production.
  const encryptionKey = randomBytes(32);
  h = await sessionHarness({ env: { ENCRYPTION_KEY: encryptionKey.toString("base64") } });
  b = createSessionModule({
    database: h.t.database,
    logger: createLogger("silent"),
    tokens: new StreamTokens(TEST_MASTER_KEY),
    guard: createAuthGuard(h.t.services.auth),
    runtimes: new RuntimeService({ database: h.t.database, secrets: createSecretBox(encryptionKey) }),
    sideEffects: approvalSideEffects,
    approvals: approvalsForSessions(h.t.database),
    sweepIntervalMs: 500,
  });
  await b.start();
}, 60_000);
afterAll(async () => {
  await b?.stop();
  await h?.close();
});

requires(NEEDS_POSTGRES).describe("two replicas", () => {
  test("turns of one session never overlap and every message is answered", async () => {
    // Slow enough that two replicas running turns at once would overlap (the runtime would cancel one).
    h.fake.reply = (text) => echoReply(`${text} a b c d e f g h`, 15);
    const a = h.t.services.sessions.sessions;
    const s = await h.createSession();
    await h.waitForStatus(s.id, "idle");
    const seen: StoredEvent[] = [];
    // A client on replica B.
    const close = await b.sessions.subscribe(s.id, 0, (evs) => seen.push(...evs));
    await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? b.sessions : a).postMessage(s.id, { text: `m${i}` })));
    await h.waitFor("6 turns", async () => (await h.events(s.id)).filter((e) => e.type === "session.status_idle").length === 6, 15_000);
    const events = await h.events(s.id);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    let open: string | null = null;
    for (const e of events) {
      if (e.type === "user.message" || !e.turn_id) continue;
      if (open === null) open = e.turn_id;
      expect(e.turn_id).toBe(open);
      if (e.type === "session.status_idle") open = null;
    }
    await h.waitFor("replica B client caught up", async () => seen.length === events.length);
    close();
    expect(seen.map((e) => e.seq)).toEqual(events.map((e) => e.seq));
  }, 60_000);

  test("session status changes made on one replica reach the other's status stream", async () => {
    const seen: Array<{ op: string; id: string; status: string }> = [];
    const off = b.bus.onStatus((c) => seen.push(c));
    const s = await h.createSession({ prompt: "hello" });
    await h.waitForEvent(s.id, (e) => e.type === "session.status_idle");
    // The session row turns idle just after the stored idle event (turn-worker endTurn); a stop before that skips "idle".
    await h.waitForStatus(s.id, "idle");
    await h.t.json("POST", `/api/sessions/${s.id}/stop`);
    await h.waitFor("stopped seen on replica B", async () => seen.some((c) => c.id === s.id && c.status === "stopped"));
    off();
    expect(seen.filter((c) => c.id === s.id).map((c) => `${c.op}:${c.status}`)).toEqual([
      "insert:creating",
      "update:idle",
      "update:running",
      "update:idle",
      "update:stopped",
    ]);
  }, 30_000);
});
