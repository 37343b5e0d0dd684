import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestApp, type TestApp } from "../../test/support/app";
import { PUBLIC_ROUTES } from "./public-routes";
import { LINEAR_ENV } from "../../test/support/linear-harness";

/**
 * Walks the whole route table: every route not in PUBLIC_ROUTES must refuse a caller without
 * credentials, or with a wrong key, before it validates or does anything.
 */
let t: TestApp;
beforeAll(async () => {
  // Linear configured, so its conditional routes are walked too (server/linear/index.ts).
  t = await createTestApp(LINEAR_ENV);
}, 60_000);
afterAll(() => t?.close());

const concretePath = (pattern: string) => pattern.replace(/:(\w+)/g, "x-$1").replace(/\*$/, "anything");

describe("route table auth", () => {
  test("every non-public route answers 401 without credentials", async () => {
    const routes = t.app.routes.filter((r) => r.method !== "WS");
    expect(routes.length).toBeGreaterThan(8);
    const unprotected: string[] = [];
    for (const r of routes) {
      const key = `${r.method} ${r.path}`;
      if (PUBLIC_ROUTES.has(key)) continue;
      // A fresh wrong key each time: repeating one would (rightly) run into the backoff on its prefix.
      for (const creds of [null, `sk-lap-${crypto.randomUUID()}`, "wrong-master-key"]) {
        const res = await t.request(r.method, concretePath(r.path), {
          key: creds,
          body: r.method === "GET" || r.method === "HEAD" ? undefined : {},
        });
        if (res.status !== 401) unprotected.push(`${key} with ${creds ?? "no key"} -> ${res.status}`);
        else expect((await res.json()).error.code).toBe("unauthorized");
      }
    }
    expect(unprotected).toEqual([]);
    // Three calls per route, over 130 routes: more than Bun's default 5 s on a loaded machine.
  }, 60_000);

  test("public routes are exactly the listed ones and all exist", () => {
    const registered = new Set(t.app.routes.map((r) => `${r.method} ${r.path}`));
    for (const p of PUBLIC_ROUTES) expect(registered.has(p)).toBe(true);
  });

  test("a forged session cookie is refused", async () => {
    const res = await t.request("GET", "/api/keys", {
      key: null,
      headers: { cookie: "lap_session=eyJzdWIiOiJtYXN0ZXIiLCJyb2xlIjoiYWRtaW4iLCJleHAiOjk5OTk5OTk5OTk5OTl9.forged" },
    });
    expect(res.status).toBe(401);
  });
});
