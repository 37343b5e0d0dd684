import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestApp, TEST_MASTER_KEY, type TestApp } from "../test/support/app";
import { everythingStdio, FILESYSTEM_JS, lapClient, NODE, startEverythingHttp, type HttpUpstream } from "../test/support/mcp";

/**
 * The proxy end to end with real MCP servers from npm behind it and the SDK Client in front:
 * server-everything over stdio (in bubblewrap) and over Streamable HTTP, and server-filesystem.
 */
let t: TestApp;
let http: HttpUpstream;
let files: string;
const clients: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  // Set in LAP's own environment: it must never reach a stdio server.
  process.env.LAP_SENTINEL_NOT_FOR_SERVERS = "must-not-leak";
  t = await createTestApp();
  http = await startEverythingHttp();
  files = mkdtempSync(join(tmpdir(), "lap-mcp-fs-"));
  // Stdio servers never run as root: a bound directory must be open to their uid (docs/mcp.md).
  chmodSync(files, 0o755);
  writeFileSync(join(files, "hello.txt"), "hello from the filesystem server\n");
  for (const body of [
    { name: "ev-stdio", ...everythingStdio(), env: { SERVER_ONLY: "configured-value" } },
    { name: "ev-http", transport: "streamable-http", url: http.url },
    { name: "files", transport: "stdio", command: NODE, args: [FILESYSTEM_JS, files], bind_paths: [{ path: files, writable: true }] },
  ]) {
    const res = await t.json("POST", "/api/mcp/servers", { body });
    expect(res.status).toBe(201);
  }
}, 60_000);

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await t?.services.mcp.close();
  await http?.stop();
  await t?.close();
});

async function connect(path: string, key = TEST_MASTER_KEY) {
  const c = await lapClient(t.app, path, key);
  clients.push(c.client);
  return c;
}

describe("one server: /mcp/:server", () => {
  test("lists and calls tools on server-everything over stdio (bubblewrap)", async () => {
    const { client } = await connect("/mcp/ev-stdio");
    const { tools } = await client.listTools();
    const names = tools.map((x) => x.name);
    expect(names).toContain("echo");
    expect(names).toContain("get-sum");
    expect(names.some((n) => n.includes("__"))).toBe(false);
    const echo = tools.find((x) => x.name === "echo")!;
    expect(echo.inputSchema.properties).toHaveProperty("message");
    const res = await client.callTool({ name: "echo", arguments: { message: "hi through LAP" } });
    expect(res.content).toEqual([{ type: "text", text: "Echo: hi through LAP" }]);
    const sum = await client.callTool({ name: "get-sum", arguments: { a: 2, b: 40 } });
    expect(JSON.stringify(sum.content)).toContain("42");
  });

  test("the stdio server gets its configured environment and nothing of LAP's", async () => {
    const { client } = await connect("/mcp/ev-stdio");
    const res = await client.callTool({ name: "get-env", arguments: {} });
    const text = JSON.stringify(res.content);
    expect(text).toContain("configured-value");
    expect(text).not.toContain("must-not-leak");
    expect(text).not.toContain(TEST_MASTER_KEY);
  });

  test("streamable-http upstream: tools, prompts, resources and completion", async () => {
    const { client } = await connect("/mcp/ev-http");
    expect((await client.listTools()).tools.map((x) => x.name)).toContain("echo");
    const prompts = (await client.listPrompts()).prompts.map((p) => p.name);
    expect(prompts).toContain("simple-prompt");
    const prompt = await client.getPrompt({ name: "simple-prompt" });
    expect(prompt.messages.length).toBeGreaterThan(0);
    const { resources } = await client.listResources();
    expect(resources.length).toBeGreaterThan(0);
    const read = await client.readResource({ uri: resources[0]!.uri });
    expect(read.contents[0]!.uri).toBe(resources[0]!.uri);
    const completion = await client.complete({
      ref: { type: "ref/prompt", name: "completable-prompt" },
      argument: { name: "department", value: "Eng" },
    });
    expect(completion.completion.values).toEqual(["Engineering"]);
  });

  test("server-filesystem reads the bound directory and refuses paths outside it", async () => {
    const { client } = await connect("/mcp/files");
    const read = await client.callTool({ name: "read_text_file", arguments: { path: join(files, "hello.txt") } });
    expect(JSON.stringify(read.content)).toContain("hello from the filesystem server");
    const outside = await client.callTool({ name: "read_text_file", arguments: { path: "/etc/hostname" } });
    expect(outside.isError).toBe(true);
  });

  test("an unknown server is a 404 at initialize", async () => {
    await expect(lapClient(t.app, "/mcp/nope", TEST_MASTER_KEY)).rejects.toThrow(/404|not granted|does not exist/);
  });
});

describe("every server: /mcp", () => {
  test("tools, prompts and resources are namespaced server__name and routed back", async () => {
    const { client } = await connect("/mcp");
    const names = (await client.listTools()).tools.map((x) => x.name);
    expect(names).toContain("ev-stdio__echo");
    expect(names).toContain("ev-http__echo");
    expect(names).toContain("files__read_text_file");
    const viaHttp = await client.callTool({ name: "ev-http__echo", arguments: { message: "agg" } });
    expect(viaHttp.content).toEqual([{ type: "text", text: "Echo: agg" }]);
    const prompts = (await client.listPrompts()).prompts.map((p) => p.name);
    expect(prompts).toContain("ev-stdio__simple-prompt");
    const p = await client.getPrompt({ name: "ev-http__simple-prompt" });
    expect(p.messages.length).toBeGreaterThan(0);
    const { resources } = await client.listResources();
    const r = resources.find((x) => x.name.startsWith("ev-http__"))!;
    expect((await client.readResource({ uri: r.uri })).contents[0]!.uri).toBe(r.uri);
  });

  test("a tool name without a known server prefix is an error, not a crash", async () => {
    const { client } = await connect("/mcp");
    const err = await client.callTool({ name: "echo", arguments: { message: "x" } }).catch((e) => e);
    expect(err).toBeInstanceOf(McpError);
  });
});
