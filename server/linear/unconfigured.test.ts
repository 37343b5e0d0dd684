/**
 * With any of LINEAR_CLIENT_ID, LINEAR_CLIENT_SECRET, LINEAR_WEBHOOK_SECRET unset, Linear is off
 * (docs/linear.md): its install, callback and webhook routes answer exactly as an unknown path
 * does, and the status route says which variable is missing.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { createTestApp, type TestApp } from "../../test/support/app";
import { LINEAR_VARIABLES } from "./settings";

const ALL = { LINEAR_CLIENT_ID: "cid", LINEAR_CLIENT_SECRET: "csecret", LINEAR_WEBHOOK_SECRET: "whsecret" };
const apps: TestApp[] = [];
afterAll(async () => {
  for (const a of apps) await a.close();
}, 60_000);

const answer = async (a: TestApp, method: string, path: string, key?: string | null) => {
  const res = await a.request(method, path, {
    key,
    ...(method === "POST" ? { body: { type: "AgentSessionEvent" }, headers: { "linear-signature": "0".repeat(64) } } : {}),
  });
  const body = (await res.json()) as { error: { code: string; message: string } };
  return { status: res.status, code: body.error.code, message: body.error.message.replace(path.split("?")[0]!, "<path>") };
};

describe("Linear with a variable unset", () => {
  for (const missing of LINEAR_VARIABLES) {
    test(`without ${missing}: its routes are 404 like an unknown path, the status names the variable`, async () => {
      const env: Record<string, string> = { ...ALL };
      delete env[missing];
      const a = await createTestApp(env);
      apps.push(a);
      for (const [method, path, key] of [
        ["POST", "/api/integrations/webhooks/linear", null],
        ["GET", "/api/integrations/oauth/linear/callback?code=x&state=y", null],
        ["GET", "/api/integrations/linear/install", undefined],
      ] as const) {
        const unknown = await answer(a, method, path.replace("linear", "nothing-here"), key);
        expect(unknown.status).toBe(404);
        expect(await answer(a, method, path, key)).toEqual(unknown);
      }
      const status = await a.json("GET", "/api/integrations/linear/status");
      expect(status.status).toBe(200);
      expect(status.body).toMatchObject({ configured: false, missing: [missing], installations: [], bindings: [] });
      expect(a.services.linear.configured).toBe(false);
    }, 60_000);
  }

  test("with all three set the routes exist", async () => {
    const a = await createTestApp(ALL);
    apps.push(a);
    expect((await a.request("POST", "/api/integrations/webhooks/linear", { key: null, body: { type: "AgentSessionEvent" } })).status).toBe(
      401,
    );
    expect((await a.request("GET", "/api/integrations/linear/install")).status).toBe(302);
    expect((await a.json("GET", "/api/integrations/linear/status")).body).toMatchObject({ configured: true, missing: [] });
  }, 60_000);
});
