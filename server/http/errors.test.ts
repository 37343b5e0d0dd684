import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createTestApp, type TestApp } from "../../test/support/app";

let t: TestApp;
let small: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  small = await createTestApp({ LAP_MAX_BODY_BYTES: "2048" });
}, 60_000);
afterAll(async () => {
  await t?.close();
  await small?.close();
});

describe("one JSON error envelope", () => {
  test("malformed JSON is a 400 that says so", async () => {
    const res = await t.json("POST", "/api/keys", { body: "{not json" });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_json");
    expect(res.body.error.request_id).toBe(res.headers.get("x-request-id")!);
  });

  test("bodies over the limit get 413 and nothing is created", async () => {
    const res = await small.json("POST", "/api/keys", { body: { label: "x".repeat(5000) } });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe("payload_too_large");
    expect(res.body.error.message).toContain("LAP_MAX_BODY_BYTES");
    expect((await small.json("GET", "/api/keys")).body.data).toEqual([]);
  });

  test("unknown API paths are JSON 404s, never the dashboard's HTML", async () => {
    for (const path of ["/api/nope", "/v1/nope", "/mcp/nope/x", "/slack/nope", "/api"]) {
      for (const method of ["GET", "POST", "DELETE"]) {
        const res = await t.request(method, path);
        expect(res.status).toBe(404);
        expect(res.headers.get("content-type")).toContain("application/json");
        expect((await res.json()).error.code).toBe("not_found");
      }
    }
  });

  test("a caller's x-request-id is kept when well-formed and replaced when not", async () => {
    const kept = await t.request("GET", "/health/liveliness", { headers: { "x-request-id": "trace-abc.123" } });
    expect(kept.headers.get("x-request-id")).toBe("trace-abc.123");
    const replaced = await t.request("GET", "/health/liveliness", { headers: { "x-request-id": "bad id with spaces" } });
    expect(replaced.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("dashboard files", () => {
  test("serves the built dashboard with an SPA fallback, and explains when it is not built", async () => {
    const notBuilt = await t.request("GET", "/agents", { key: null });
    expect(notBuilt.status).toBe(503);
    expect(await notBuilt.text()).toContain("npm start");

    const dir = join(process.env.TMPDIR ?? "/tmp", `lap-ui-${process.pid}`);
    mkdirSync(join(dir, "assets"), { recursive: true });
    writeFileSync(join(dir, "index.html"), "<html>dashboard</html>");
    writeFileSync(join(dir, "assets", "app.js"), "console.log(1)");
    const { staticUi } = await import("./static-ui");
    const app = staticUi(dir);
    const page = await app.handle(new Request("http://localhost/sessions/123"));
    expect(await page.text()).toBe("<html>dashboard</html>");
    const asset = await app.handle(new Request("http://localhost/assets/app.js"));
    expect(asset.headers.get("cache-control")).toContain("immutable");
    const escape = await app.handle(new Request("http://localhost/..%2f..%2fetc%2fpasswd"));
    expect(await escape.text()).toBe("<html>dashboard</html>");
  });

  test("a sibling directory that shares the dashboard's name prefix is not served (issue 15, item 11)", async () => {
    const dir = join(process.env.TMPDIR ?? "/tmp", `lap-ui-sib-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    mkdirSync(`${dir}-evil`, { recursive: true });
    writeFileSync(join(dir, "index.html"), "<html>dashboard</html>");
    writeFileSync(join(`${dir}-evil`, "secret.txt"), "host secret");
    const { staticUi } = await import("./static-ui");
    const app = staticUi(dir);
    const name = `lap-ui-sib-${process.pid}-evil`;
    for (const path of [`/..%2f${name}%2fsecret.txt`, `/%2e%2e/${name}/secret.txt`, `/..%5c${name}%5csecret.txt`]) {
      const res = await app.handle(new Request(`http://localhost${path}`));
      expect(await res.text()).toBe("<html>dashboard</html>");
    }
    // Paths that do not decode, or hold a NUL, fall back to the dashboard instead of failing.
    for (const path of ["/%E0%A4%A", "/a%00b", "/%ED%A0%80"]) {
      const res = await app.handle(new Request(`http://localhost${path}`));
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("<html>dashboard</html>");
    }
  });
});
