import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  type CallToolResult,
} from "@modelcontextprotocol/sdk/types.js";
import { createTestApp, TEST_MASTER_KEY, type TestApp } from "../test/support/app";
import { everythingStdio, lapClient } from "../test/support/mcp";

/**
 * Requests an upstream makes of the client (sampling, elicitation, roots) pass through LAP to the
 * downstream SDK Client that made the call, and its answer goes back: server-everything's
 * trigger-sampling-request, trigger-elicitation-request and get-roots-list, over stdio.
 */
let t: TestApp;
const clients: Array<{ close(): Promise<void> }> = [];
const seen: { sampling: unknown[]; elicitation: unknown[]; roots: number } = { sampling: [], elicitation: [], roots: 0 };

beforeAll(async () => {
  t = await createTestApp();
  const res = await t.json("POST", "/api/mcp/servers", { body: { name: "ev", ...everythingStdio() } });
  expect(res.status).toBe(201);
}, 60_000);

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await t?.services.mcp.close();
  await t?.close();
});

/** A client that offers sampling, elicitation and roots, answering from fixed values. */
async function askingClient(path: string) {
  const { client } = await lapClient(t.app, path, TEST_MASTER_KEY, {
    capabilities: { sampling: {}, elicitation: {}, roots: {} },
    setup: (c) => {
      c.setRequestHandler(CreateMessageRequestSchema, async (req) => {
        seen.sampling.push(req.params);
        return { model: "downstream-model", role: "assistant", content: { type: "text", text: "sampled by the downstream client" } };
      });
      c.setRequestHandler(ElicitRequestSchema, async (req) => {
        seen.elicitation.push(req.params);
        return { action: "accept", content: { name: "Ada Lovelace", check: true } };
      });
      c.setRequestHandler(ListRootsRequestSchema, async () => {
        seen.roots++;
        return { roots: [{ uri: "file:///downstream/project", name: "project" }] };
      });
    },
  });
  clients.push(client);
  return client;
}

const text = (r: unknown) => ((r as CallToolResult).content ?? []).map((c) => (c.type === "text" ? c.text : "")).join("\n");

describe("server-to-client requests reach the calling client", () => {
  test("sampling/createMessage: the upstream's prompt reaches the client and its answer comes back", async () => {
    const client = await askingClient("/mcp/ev");
    const result = await client.callTool({ name: "trigger-sampling-request", arguments: { prompt: "what is LAP?", maxTokens: 20 } });
    expect(text(result)).toContain("sampled by the downstream client");
    expect(JSON.stringify(seen.sampling.at(-1))).toContain("what is LAP?");
  }, 30_000);

  test("elicitation/create: the client's answer reaches the upstream (also through the aggregate endpoint)", async () => {
    const client = await askingClient("/mcp");
    const result = await client.callTool({ name: "ev__trigger-elicitation-request", arguments: {} });
    expect(text(result)).toContain("Name: Ada Lovelace");
    expect(text(result)).toContain("Agreed to terms: true");
    expect((seen.elicitation.at(-1) as { message: string }).message).toContain("Please provide inputs");
  }, 30_000);

  test("roots/list: the upstream learns the calling client's roots", async () => {
    const client = await askingClient("/mcp/ev");
    const result = await client.callTool({ name: "get-roots-list", arguments: {} });
    expect(text(result)).toContain("file:///downstream/project");
    expect(seen.roots).toBeGreaterThan(0);
  }, 30_000);

  test("a client that offers no sampling gets a clear error, not a hang", async () => {
    const { client } = await lapClient(t.app, "/mcp/ev", TEST_MASTER_KEY);
    clients.push(client);
    const before = seen.sampling.length;
    const outcome = await client
      .callTool({ name: "trigger-sampling-request", arguments: { prompt: "x", maxTokens: 5 } })
      .then(text, (e: Error) => e.message);
    expect(outcome).toContain("did not declare the sampling capability");
    expect(seen.sampling.length).toBe(before);
  }, 30_000);
});
