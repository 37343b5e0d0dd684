import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestApp, type TestApp } from "../../test/support/app";
import { deepArrayText, deepObjectText } from "../../test/support/hostile-inputs";
import { signedRequest } from "../../test/support/slack-signing";

/**
 * Issue 15, item 6: one unauthenticated 200 KB body of nested arrays froze LAP for ~25 s (Elysia's
 * ValidationError pretty-printed the whole body). Every JSON route class (API, gateway, MCP, Slack)
 * must refuse a hostile body in milliseconds. The bound sits far from both paths: a refusal takes
 * under 35 ms here (idle, 2 cores), the old behaviour ~25 s. The cause itself (an error that carries
 * the body) is what the < 4000 characters check catches.
 */
const BOUND_MS = 5_000;
const SIGNING_SECRET = "hostile-input-signing-secret-0123456789";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: "xoxb-hostile-input",
    SLACK_API_URL: "http://127.0.0.1:9/api/",
  });
}, 60_000);
afterAll(() => t?.close());

const wideWrongTypes = (field: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ ...extra, [field]: Array.from({ length: 100_000 }, () => 1) });

const bodies: Array<{ name: string; text: string }> = [
  { name: "100 000 nested arrays (200 KB)", text: deepArrayText(100_000) },
  { name: "20 000 nested objects", text: deepObjectText(20_000) },
  { name: "nested arrays inside a valid field", text: `{"key":${deepArrayText(50_000)}}` },
];

interface Target {
  class: string;
  method: string;
  path: string;
  key: string | null;
  /** A body of 100 000 wrong-typed array items for a field this route validates. */
  wide?: string;
}

const targets: Target[] = [
  { class: "API (no credentials)", method: "POST", path: "/api/auth/login", key: null },
  { class: "API", method: "POST", path: "/api/agents", key: "master", wide: wideWrongTypes("tools", { name: "a", model: "m" }) },
  { class: "API", method: "PUT", path: "/api/slack/dm-allowlist", key: "master", wide: wideWrongTypes("user_ids") },
  { class: "gateway", method: "POST", path: "/v1/chat/completions", key: "master", wide: wideWrongTypes("messages", { model: "gpt-x" }) },
  {
    class: "gateway",
    method: "POST",
    path: "/v1/messages",
    key: "master",
    wide: wideWrongTypes("messages", { model: "claude-x", max_tokens: 5 }),
  },
  { class: "MCP", method: "POST", path: "/mcp", key: "master" },
];

async function timed(run: () => Promise<Response>) {
  const started = performance.now();
  const res = await run();
  const text = await res.text();
  return { res, text, ms: performance.now() - started };
}

describe("a hostile body costs milliseconds on every JSON route class", () => {
  for (const target of targets) {
    for (const body of [...bodies, ...(target.wide ? [{ name: "100 000 wrong-typed items", text: target.wide }] : [])]) {
      test(`${target.class} ${target.method} ${target.path}: ${body.name}`, async () => {
        const { res, text, ms } = await timed(() =>
          t.request(target.method, target.path, { key: target.key === "master" ? undefined : null, body: body.text }),
        );
        expect(res.status).toBe(400);
        expect(ms).toBeLessThan(BOUND_MS);
        // The error names what is wrong and never echoes the body back.
        expect(text.length).toBeLessThan(4000);
        const parsed = JSON.parse(text);
        expect(parsed.error).toBeDefined();
      });
    }
  }

  test("Slack: a signed body nested 100 000 deep is a 400 in milliseconds", async () => {
    // The Slack bot loads on first use; that one-time import is not what is measured.
    const hello = JSON.stringify({ type: "url_verification", challenge: "c" });
    expect(
      (await t.app.handle(signedRequest("http://localhost/slack/events", hello, "application/json", { secret: SIGNING_SECRET }))).status,
    ).toBe(200);
    for (const text of [deepArrayText(100_000), `{"type":"event_callback","event":${deepObjectText(20_000)}}`]) {
      const { res, ms } = await timed(() =>
        t.app.handle(signedRequest("http://localhost/slack/events", text, "application/json", { secret: SIGNING_SECRET })),
      );
      expect(res.status).toBe(400);
      expect(ms).toBeLessThan(BOUND_MS);
    }
  });

  test("the depth limit is LAP_MAX_JSON_DEPTH: 128 levels pass the parser, 129 do not", async () => {
    const at = (depth: number) =>
      t.json("POST", "/api/keys", { body: `{"label":"x","metadata":{"a":${"[".repeat(depth - 2)}${"]".repeat(depth - 2)}}}` });
    const ok = await at(128);
    expect(ok.status).toBe(201);
    const deep = await at(129);
    expect(deep.status).toBe(400);
    expect(deep.body.error.code).toBe("invalid_json");
    expect(deep.body.error.message).toContain("LAP_MAX_JSON_DEPTH");
    expect(deep.body.error.fields).toEqual([{ field: "(body)", message: "nests deeper than 128 levels" }]);
  });

  test("a validation error reports at most 20 fields and never the value", async () => {
    const res = await t.json("POST", "/api/agents", {
      body: { name: "a", model: "m", tools: Array.from({ length: 5000 }, () => "x".repeat(300)) },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_request");
    expect(res.body.error.fields.length).toBeGreaterThan(0);
    expect(res.body.error.fields.length).toBeLessThanOrEqual(20);
    expect(JSON.stringify(res.body)).not.toContain("x".repeat(300));
  });

  test("a chunked body over LAP_MAX_BODY_BYTES (no content-length) is a 413 before it is all read", async () => {
    const small = await createTestApp({ LAP_MAX_BODY_BYTES: "4096" });
    try {
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent > 1_000_000) return controller.close();
          sent += 1024;
          controller.enqueue(new TextEncoder().encode(" ".repeat(1024)));
        },
      });
      const res = await small.app.handle(
        new Request("http://localhost/api/keys", {
          method: "POST",
          body: stream,
          headers: { "content-type": "application/json", authorization: "Bearer test-master-key-0123456789" },
          duplex: "half",
        } as RequestInit),
      );
      expect(res.status).toBe(413);
      expect((await res.json()).error.code).toBe("payload_too_large");
      expect(sent).toBeLessThan(100_000);
      expect((await small.json("GET", "/api/keys")).body.data).toEqual([]);
    } finally {
      await small.close();
    }
    // A second app (a fresh database and its migrations) takes seconds on a loaded machine; what is asserted is bytes read.
  }, 30_000);

  test("after all of that the server answers at once", async () => {
    const { res, ms } = await timed(() => t.request("GET", "/health/liveliness"));
    expect(res.status).toBe(200);
    expect(ms).toBeLessThan(BOUND_MS);
  });
});
