/**
 * The real LAP app with Linear configured against a FakeLinear, the real sessions service over a
 * FakeManagedAgents runtime, and every log line kept (to check that no token reaches a log).
 */
import pino from "pino";
import { Writable } from "node:stream";
import { createTestApp, type TestApp } from "./app";
import { FakeLinear, type FakeLinearWorkspace } from "./fake-linear";
import { FakeManagedAgents } from "./fake-managed-agents";

export const LINEAR_BASE = "http://lap.test";

/** All three LINEAR_* set, Linear's API on a closed port: for tests that only need Linear's routes registered. */
export const LINEAR_ENV = {
  LINEAR_CLIENT_ID: "lin-cid",
  LINEAR_CLIENT_SECRET: "lin-csecret",
  LINEAR_WEBHOOK_SECRET: "lin-whsecret",
  LAP_LINEAR_API_URL: "http://127.0.0.1:9",
};

export const ACME: FakeLinearWorkspace = {
  organizationId: "0b1c2d3e-0000-4000-8000-00000000acme",
  name: "Acme",
  urlKey: "acme",
  appUserId: "app-user-acme",
};

export async function linearHarness(env: Record<string, string> = {}) {
  const fake = new FakeLinear().start();
  const runtime = new FakeManagedAgents().start();
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const logger = pino({ level: "debug" }, sink);
  const t: TestApp = await createTestApp(
    {
      BASE_URL: LINEAR_BASE,
      LINEAR_CLIENT_ID: fake.clientId,
      LINEAR_CLIENT_SECRET: fake.clientSecret,
      LINEAR_WEBHOOK_SECRET: fake.webhookSecret,
      LAP_LINEAR_API_URL: fake.url,
      LAP_LINEAR_AUTHORIZE_URL: "https://linear.test/oauth/authorize",
      // Started like main, the warm pool would pre-create sandboxes for these agents in the background.
      WARM_POOL_SIZE: "0",
      ...env,
    },
    { logger, sessionOptions: { sweepIntervalMs: 500, interruptGraceMs: 1_000 }, linearOptions: { turnTimeoutMs: 30_000 } },
  );
  // Started as server/main.ts starts it (server/app/lifecycle.ts), driven through app.handle.
  await t.start();
  const linear = t.services.linear;
  return {
    ...t,
    fake,
    runtime,
    logs,
    linear,
    /** Sends a signed webhook; answers status and body. */
    async webhook(body: Record<string, unknown>, o: Parameters<FakeLinear["webhook"]>[2] = {}) {
      const res = await t.app.handle(fake.webhook(LINEAR_BASE, body, o));
      return { status: res.status, body: await res.json() };
    },
    /** Installs a workspace through the OAuth routes, as an admin's browser would. */
    async install(ws: FakeLinearWorkspace) {
      const start = await t.request("GET", "/api/integrations/linear/install");
      const state = new URL(start.headers.get("location")!).searchParams.get("state")!;
      const done = await t.request("GET", `/api/integrations/oauth/linear/callback?code=${fake.issueCode(ws)}&state=${state}`, {
        key: null,
      });
      return done.headers.get("location");
    },
    /** A runtime on the fake, an agent `linear-helper` on it, `ws` installed and bound to it; answers the agent's id. */
    async installAndBind(ws: FakeLinearWorkspace): Promise<string> {
      const rt = await t.json("POST", "/api/runtimes", { body: { alias: "fake", base_url: runtime.url, api_key: runtime.apiKey } });
      const ag = await t.json("POST", "/api/agents", {
        body: { name: "linear-helper", model: "claude-sonnet-4-5", system_prompt: "Be brief.", runtime_id: rt.body.id },
      });
      if (ag.status !== 201) throw new Error(`agent not created: ${JSON.stringify(ag.body)}`);
      if ((await this.install(ws)) !== `/integrations?linear_installed=${encodeURIComponent(ws.name)}`) throw new Error("install failed");
      const bound = await t.json("PUT", "/api/integrations/linear/bindings", {
        body: { organization_id: ws.organizationId, agent_id: "linear-helper" },
      });
      if (bound.status !== 200) throw new Error(`binding failed: ${JSON.stringify(bound.body)}`);
      return ag.body.id as string;
    },
    idle: () => linear.activities.idle(),
    async close() {
      await linear.activities.idle();
      await t.close();
      await fake.stop();
      await runtime.stop();
    },
  };
}
export type LinearHarness = Awaited<ReturnType<typeof linearHarness>>;

let n = 0;
/** A fresh id in Linear's shape. */
export const linearId = (prefix: string) => `${prefix}-${Date.now().toString(16)}-${++n}`;

/** An `AgentSessionEvent` of action `created`: the agent was mentioned or delegated an issue. */
export function createdEvent(
  ws: FakeLinearWorkspace,
  agentSessionId: string,
  o: { title?: string; description?: string; comment?: string } = {},
) {
  return {
    type: "AgentSessionEvent",
    action: "created",
    createdAt: new Date().toISOString(),
    organizationId: ws.organizationId,
    appUserId: ws.appUserId,
    oauthClientId: "lin-client-id",
    webhookId: "wh-1",
    agentSession: {
      id: agentSessionId,
      status: "pending",
      appUserId: ws.appUserId,
      issue: {
        id: linearId("issue"),
        identifier: "ENG-42",
        title: o.title ?? "Fix the login page",
        description: o.description ?? "It returns 500 on submit.",
        url: "https://linear.app/acme/issue/ENG-42",
      },
      comment: { id: linearId("comment"), body: o.comment ?? "@lap please look into this" },
    },
    promptContext: '<issue identifier="ENG-42">…</issue>',
  };
}

/** A follow-up in the agent session (`prompted`); `signal: "stop"` is the stop request. */
export function promptedEvent(ws: FakeLinearWorkspace, agentSessionId: string, body: string, signal?: "stop") {
  return {
    type: "AgentSessionEvent",
    action: "prompted",
    createdAt: new Date().toISOString(),
    organizationId: ws.organizationId,
    appUserId: ws.appUserId,
    agentSession: { id: agentSessionId, status: "active" },
    agentActivity: { id: linearId("activity"), agentSessionId, content: { type: "prompt", body }, ...(signal ? { signal } : {}) },
  };
}
