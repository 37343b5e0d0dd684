/** The real LAP app with the Slack bot pointed at a FakeSlack and an in-memory sessions port. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp, type SessionOptions } from "../../server/app";
import { loadConfig } from "../../server/config/load";
import { createLogger } from "../../server/lib/logger";
import { TEST_MASTER_KEY, TEST_TICK_MS } from "./app";
import { testDatabase } from "./db";
import type { FakeManagedAgents } from "./fake-managed-agents";
import { FakeSlack } from "./fake-slack";
import { MemorySessions } from "./memory-sessions";
import { eventEnvelope, signedCommand, signedEvent, signedInteraction, type SignedOptions } from "./slack-signing";

export const SIGNING_SECRET = "test-signing-secret-0123456789abcdef";
export const BOT_TOKEN = "xoxb-test-single-workspace";
export const BASE = "http://lap.test";

export interface SlackHarnessOptions {
  env?: Record<string, string>;
  minEditIntervalMs?: number;
  turnTimeoutMs?: number;
  /** Use the real sessions service over a FakeManagedAgents runtime instead of MemorySessions. */
  real?: { runtime: FakeManagedAgents; sessionOptions?: SessionOptions };
}

export async function slackHarness(opts: SlackHarnessOptions = {}) {
  const fake = await new FakeSlack().start();
  fake.addWorkspace(BOT_TOKEN, { teamId: "T1", teamName: "Acme" });
  fake.setClient("cid-123", "csecret-456");
  const sessions = new MemorySessions();
  const rawEnv: Record<string, string> = {
    LAP_DATA_DIR: mkdtempSync(join(tmpdir(), "lap-slack-")),
    MASTER_KEY: TEST_MASTER_KEY,
    LOG_LEVEL: "silent",
    BASE_URL: BASE,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_API_URL: fake.apiUrl,
    SLACK_CLIENT_ID: "cid-123",
    SLACK_CLIENT_SECRET: "csecret-456",
    // Started like main, the warm pool would pre-create sandboxes for these agents in the background.
    WARM_POOL_SIZE: "0",
    ...opts.env,
  };
  for (const [k, v] of Object.entries(rawEnv)) if (v === "") delete rawEnv[k];
  const config = loadConfig(rawEnv);
  const database = await testDatabase();
  const { app, services, start, stop } = createApp({
    config,
    database,
    logger: createLogger("silent"),
    rawEnv,
    uiDist: join(rawEnv.LAP_DATA_DIR!, "no-ui"),
    slackSessions: opts.real ? undefined : sessions,
    sessionOptions: { sweepIntervalMs: 500, interruptGraceMs: 1_000, ...opts.real?.sessionOptions },
    slackOptions: { minEditIntervalMs: opts.minEditIntervalMs ?? 40, turnTimeoutMs: opts.turnTimeoutMs },
    automationOptions: { tickMs: TEST_TICK_MS },
  });
  // Started as server/main.ts starts it (server/app/lifecycle.ts), driven through app.handle.
  await start();
  const sign = (o: Partial<SignedOptions> = {}): SignedOptions => ({ secret: SIGNING_SECRET, ...o });
  const h = {
    app,
    fake,
    sessions,
    database,
    config,
    slack: services.slack,
    send: (req: Request) => app.handle(req),
    /** Posts an Events API callback around `event`; returns the HTTP response. */
    event: (event: Record<string, unknown>, o: Partial<SignedOptions> & { eventId?: string; teamId?: string } = {}) =>
      app.handle(signedEvent(BASE, eventEnvelope(event, { eventId: o.eventId, teamId: o.teamId }), sign(o))),
    interaction: (payload: unknown, o: Partial<SignedOptions> = {}) => app.handle(signedInteraction(BASE, payload, sign(o))),
    command: (fields: Record<string, string>, o: Partial<SignedOptions> = {}) => app.handle(signedCommand(BASE, fields, sign(o))),
    api: async (method: string, path: string, body?: unknown, key: string | null = TEST_MASTER_KEY) => {
      const headers: Record<string, string> = {};
      if (key) headers.authorization = `Bearer ${key}`;
      if (body !== undefined) headers["content-type"] = "application/json";
      const res = await app.handle(
        new Request(`${BASE}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }),
      );
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
    },
    /** Waits until background Slack work is done. */
    idle: () => services.slack.service.idle(),
    rows: (): Promise<any[]> => database.query(`select * from slack_events order by created_at`),
    async close() {
      await services.slack.service.idle();
      await stop();
      await fake.stop();
      await database.close();
    },
  };
  return h;
}
export type SlackHarness = Awaited<ReturnType<typeof slackHarness>>;

let tsN = 0;
/** A fresh Slack message ts. */
export const nextTs = () => `${1_700_100_000 + ++tsN}.${String(tsN).padStart(6, "0")}`;
