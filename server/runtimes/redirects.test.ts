/**
 * A remote runtime's base_url is the admin's choice; where the runtime redirects is not
 * (docs/security.md, "User-supplied URLs and hosts"). Before this, the adapter's fetch followed any
 * redirect with the runtime's x-api-key. Now a redirect within the base_url's origin is followed and
 * one to another origin is not. Against the Managed Agents stand-in (test/support/fake-managed-agents.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { FakeManagedAgents } from "../../test/support/fake-managed-agents";
import { RuntimeError } from "./adapter";
import { ManagedAgentsAdapter } from "./managed-agents";

let fake: FakeManagedAgents;
const elsewhereHits: Array<{ path: string; key: string | null }> = [];
const elsewhere = Bun.serve({
  hostname: "127.0.0.2",
  port: 0,
  fetch: (req) => (elsewhereHits.push({ path: new URL(req.url).pathname, key: req.headers.get("x-api-key") }), Response.json({ data: [] })),
});
/** In front of the runtime: `/away/...` redirects to the other origin, `/hop/...` within this one, the rest is the runtime. */
const front = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: (req) => {
    const url = new URL(req.url);
    if (url.pathname.startsWith("/away/"))
      return new Response(null, {
        status: 302,
        headers: { location: `http://127.0.0.2:${elsewhere.port}${url.pathname.slice(5)}${url.search}` },
      });
    if (url.pathname.startsWith("/hop/"))
      return new Response(null, { status: 307, headers: { location: `${url.pathname.slice(4)}${url.search}` } });
    return fetch(`${fake.url}${url.pathname}${url.search}`, { method: req.method, headers: req.headers, body: req.body });
  },
});

beforeAll(() => {
  fake = new FakeManagedAgents({ apiKey: "rt-secret-key-abcdef" }).start();
});
afterAll(async () => {
  await fake?.stop();
  front.stop(true);
  elsewhere.stop(true);
});

describe("redirects from a runtime's base_url", () => {
  test("to another origin: not followed, the key goes nowhere else, the error says why", async () => {
    elsewhereHits.length = 0;
    const adapter = new ManagedAgentsAdapter({ baseUrl: `http://127.0.0.1:${front.port}/away`, apiKey: fake.apiKey });
    const err = await adapter.check().catch((e) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as Error).message).toContain("redirected to another origin");
    expect(elsewhereHits).toEqual([]);
  });

  test("within its origin: followed", async () => {
    elsewhereHits.length = 0;
    const adapter = new ManagedAgentsAdapter({ baseUrl: `http://127.0.0.1:${front.port}/hop`, apiKey: fake.apiKey });
    await adapter.check();
    expect(elsewhereHits).toEqual([]);
  });
});
