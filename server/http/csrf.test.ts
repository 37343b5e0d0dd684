/**
 * CSRF (issue 15, item 8): with the dashboard cookie, a page on another site could POST a form or
 * multipart body that created an admin key, and open the session WebSocket. Cookie calls that change
 * something now need JSON and a same-origin Origin (or Sec-Fetch-Site); upgrades need a same-origin
 * Origin. Bearer calls are unaffected. Driven over real HTTP against a listening app.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestApp, TEST_MASTER_KEY, type TestApp } from "../../test/support/app";

let t: TestApp;
let base = "";
let cookie = "";
const BASE_URL = "https://lap.example.com";

beforeAll(async () => {
  t = await createTestApp({ BASE_URL });
  // Started as server/main.ts starts it (server/app/lifecycle.ts), listening on a free loopback port.
  const server = await t.start(() => {
    t.app.listen({ port: 0, hostname: "127.0.0.1" });
    return t.app.server!;
  });
  base = `http://127.0.0.1:${server.port}`;
  const login = await fetch(`${base}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ key: TEST_MASTER_KEY }),
  });
  expect(login.status).toBe(200);
  cookie = login.headers.get("set-cookie")!.split(";")[0]!;
}, 60_000);
afterAll(async () => {
  // The app's one stop (the live bus the WebSocket test opened, the server), then the database.
  await t?.close();
}, 30_000);

const keyCount = async () => Number((await t.database.query<{ n: number }>("select count(*)::int as n from api_keys"))[0]!.n);
const post = (path: string, headers: Record<string, string>, body?: BodyInit) => fetch(`${base}${path}`, { method: "POST", headers, body });

describe("dashboard cookie calls from another site", () => {
  test("a form or multipart POST with the cookie creates nothing, whatever its Origin", async () => {
    const before = await keyCount();
    const form = new URLSearchParams({ label: "csrf", role: "admin" });
    for (const origin of ["https://evil.example", base]) {
      const res = await post("/api/keys", { cookie, origin, "content-type": "application/x-www-form-urlencoded" }, form);
      expect(res.status).toBe(403);
      const multipart = new FormData();
      multipart.set("label", "csrf");
      multipart.set("role", "admin");
      expect((await post("/api/keys", { cookie, origin }, multipart)).status).toBe(403);
      expect(
        (await post("/api/keys", { cookie, origin, "content-type": "text/plain" }, JSON.stringify({ label: "csrf", role: "admin" })))
          .status,
      ).toBe(403);
    }
    expect(await keyCount()).toBe(before);
  });

  test("JSON with the cookie is accepted only from this LAP's origin (its own or BASE_URL's)", async () => {
    const body = JSON.stringify({ label: "from-dashboard" });
    const json = { cookie, "content-type": "application/json" };
    const foreign = await post("/api/keys", { ...json, origin: "https://evil.example" }, body);
    expect(foreign.status).toBe(403);
    expect((await foreign.json()).error.message).toContain("Cross-site request refused");
    expect((await post("/api/keys", { ...json, origin: "null" }, body)).status).toBe(403);
    expect((await post("/api/keys", { ...json, "sec-fetch-site": "cross-site" }, body)).status).toBe(403);
    expect((await post("/api/keys", { ...json, "sec-fetch-site": "same-site" }, body)).status).toBe(403);
    // Neither header: a browser always sends one of them on a POST, so this is not a browser's own page.
    expect((await post("/api/keys", json, body)).status).toBe(403);
    const before = await keyCount();
    expect((await post("/api/keys", { ...json, origin: base }, body)).status).toBe(201);
    expect((await post("/api/keys", { ...json, origin: BASE_URL }, body)).status).toBe(201);
    expect((await post("/api/keys", { ...json, "sec-fetch-site": "same-origin" }, body)).status).toBe(201);
    expect(await keyCount()).toBe(before + 3);
  });

  test("reads with the cookie from another origin are refused; a plain same-origin read is fine", async () => {
    expect((await fetch(`${base}/api/keys`, { headers: { cookie, origin: "https://evil.example" } })).status).toBe(403);
    expect((await fetch(`${base}/api/keys`, { headers: { cookie, "sec-fetch-site": "cross-site" } })).status).toBe(403);
    expect((await fetch(`${base}/api/keys`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${base}/api/keys`, { headers: { cookie, "sec-fetch-site": "same-origin" } })).status).toBe(200);
  });

  test("logout from another site does not end the session", async () => {
    expect((await post("/api/auth/logout", { cookie, origin: "https://evil.example", "content-type": "application/json" })).status).toBe(
      403,
    );
    expect((await fetch(`${base}/api/auth/me`, { headers: { cookie } })).status).toBe(200);
  });

  test("a login form (not JSON) is refused: another site cannot sign a browser in", async () => {
    const res = await post(
      "/api/auth/login",
      { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" },
      new URLSearchParams({ key: TEST_MASTER_KEY }),
    );
    expect(res.status).toBe(403);
    expect(res.headers.get("set-cookie")).toBeNull();
  });

  test("bearer calls are unaffected by Origin and content type", async () => {
    const res = await post(
      "/api/keys",
      { authorization: `Bearer ${TEST_MASTER_KEY}`, origin: "https://evil.example", "content-type": "application/x-www-form-urlencoded" },
      new URLSearchParams({ label: "cli" }),
    );
    expect(res.status).toBe(201);
  });
});

describe("session WebSocket with the cookie", () => {
  /** Opens a WebSocket with these headers (Bun's client sends them on the upgrade): "open" or "refused". */
  const tryOpen = (headers: Record<string, string>, path: string) =>
    new Promise<"open" | "refused">((resolve) => {
      const ws = new WebSocket(`${base.replace("http", "ws")}${path}`, { headers } as never);
      const timer = setTimeout(() => resolve("refused"), 5_000);
      ws.onopen = () => {
        clearTimeout(timer);
        ws.close();
        resolve("open");
      };
      ws.onerror = () => {
        clearTimeout(timer);
        resolve("refused");
      };
    });

  test("a foreign Origin, or none, cannot open a session's stream; the dashboard's own origin can", async () => {
    const rt = await t.json("POST", "/api/runtimes", { body: { alias: "idle", base_url: "http://127.0.0.1:9", api_key: "k" } });
    const agent = await t.json("POST", "/api/agents", { body: { name: "ws-agent", model: "m", runtime_id: rt.body.id } });
    const session = await t.json("POST", "/api/sessions", { body: { agent_id: agent.body.id } });
    expect(session.status).toBe(201);
    const path = `/api/sessions/${session.body.id}/stream`;
    expect(await tryOpen({ cookie, origin: "https://evil.example" }, path)).toBe("refused");
    expect(await tryOpen({ cookie }, path)).toBe("refused");
    expect(await tryOpen({ cookie, origin: base }, path)).toBe("open");
    // A bearer key needs no Origin (CLIs and servers).
    expect(await tryOpen({ authorization: `Bearer ${TEST_MASTER_KEY}` }, path)).toBe("open");
  });
});
