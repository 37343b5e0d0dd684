import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { BWRAP_MISSING } from "../sandboxes/local-provider";
import { startGatewayTestEnv, type GatewayTestEnv } from "../../test/support/gateway";

/**
 * docs/troubleshooting.md quotes the errors a newcomer meets "with the exact text LAP shows". These
 * provoke each error on a real gateway and check the page still quotes it (with the page's example
 * model names and addresses in place of the test's), so the docs cannot drift from the code.
 */
const page = readFileSync(join(import.meta.dir, "../../docs/troubleshooting.md"), "utf8");
let env: GatewayTestEnv;
beforeAll(async () => {
  env = await startGatewayTestEnv();
}, 60_000);
afterAll(() => env?.close());

const call = (model: string, key = env.masterKey) =>
  fetch(`${env.baseUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }),
  });
const admin = async (path: string, body: unknown) => {
  const res = await fetch(`${env.baseUrl}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${env.masterKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return res.json() as Promise<Record<string, unknown>>;
};
const closedPort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

describe("docs/troubleshooting.md quotes LAP's own messages", () => {
  test("unknown model: the gateway's 400 message", async () => {
    const res = await call("gpt-5");
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { message: string; code: string } };
    expect(error.code).toBe("model_not_found");
    expect(page).toContain(error.message);
  });

  test("connection refused: the gateway's 502 names the API base and the connection error", async () => {
    const port = await closedPort();
    await admin("/model/new", {
      model_name: "nobody-listens",
      litellm_params: { model: "openai/llama3.1:8b", api_base: `http://127.0.0.1:${port}/v1`, api_key: "x" },
    });
    const res = await call("nobody-listens");
    expect(res.status).toBe(502);
    const { error } = (await res.json()) as { error: { message: string; code: string } };
    expect(error.code).toBe("upstream_unreachable");
    expect(page).toContain(error.message.replace(`http://127.0.0.1:${port}/v1`, "http://localhost:11434/v1"));
  });

  test("budget exceeded: a key past its max_budget gets the 429 the page quotes", async () => {
    const key = (await admin("/key/generate", { max_budget: 0.001 })).key as string;
    expect((await call("priced", key)).status).toBe(200);
    const res = await call("priced", key);
    expect(res.status).toBe(429);
    const { error } = (await res.json()) as { error: { message: string; code: string } };
    expect(error.code).toBe("budget_exceeded");
    const shape = error.message.replace(/spend [0-9.]+ of max_budget [0-9.]+/, "");
    expect(shape).toBe("Budget has been exceeded: ");
    expect(page).toMatch(/Budget has been exceeded: spend [0-9.]+ of max_budget [0-9.]+; resets at /);
  });

  test("bubblewrap missing: the sandbox provider's message, word for word", () => {
    expect(page).toContain(BWRAP_MISSING);
  });
});
