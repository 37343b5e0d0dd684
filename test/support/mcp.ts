/**
 * Real MCP servers from npm for tests (no fakes): `@modelcontextprotocol/server-everything` over
 * stdio and Streamable HTTP, and `@modelcontextprotocol/server-filesystem`, run from node_modules.
 * Plus an SDK `Client` connected to LAP's proxy in-process (its fetch goes to `app.handle`).
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { ClientCapabilities } from "@modelcontextprotocol/sdk/types.js";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
export const EVERYTHING_JS = `${root}node_modules/@modelcontextprotocol/server-everything/dist/index.js`;
export const FILESYSTEM_JS = `${root}node_modules/@modelcontextprotocol/server-filesystem/dist/index.js`;
const LOOPBACK_PRELOAD = `${root}test/support/loopback-listen.mjs`;
export const NODE = "/usr/bin/node";

export interface HttpUpstream {
  url: string;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** server-everything over Streamable HTTP on 127.0.0.1 (port 0 unless given: restarts reuse the port). */
export async function startEverythingHttp(port = 0, mode: "streamableHttp" | "sse" = "streamableHttp"): Promise<HttpUpstream> {
  const child = spawn(NODE, ["--import", LOOPBACK_PRELOAD, EVERYTHING_JS, mode], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", PORT: String(port) },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const actual = await new Promise<number>((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(() => reject(new Error(`server-everything did not start: ${buf}`)), 20_000);
    child.stderr!.on("data", (d: Buffer) => {
      buf += d.toString();
      const m = /LAP_TEST_LISTENING (\d+)/.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once("exit", (code) => reject(new Error(`server-everything exited (${code}): ${buf}`)));
  });
  child.stderr!.resume();
  const path = mode === "sse" ? "/sse" : "/mcp";
  return {
    url: `http://127.0.0.1:${actual}${path}`,
    port: actual,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGKILL");
      }),
  };
}

/** An SDK client speaking to LAP's `/mcp...` endpoint through `app.handle`, authenticated with `key`. */
export async function lapClient(
  app: { handle(r: Request): Promise<Response> | Response },
  path: string,
  key: string,
  opts: { onLog?: (n: unknown) => void; capabilities?: ClientCapabilities; setup?: (client: Client) => void } = {},
) {
  const client = new Client({ name: "lap-test-client", version: "1.0.0" }, { capabilities: opts.capabilities ?? {} });
  opts.setup?.(client);
  const transport = new StreamableHTTPClientTransport(new URL(`http://localhost${path}`), {
    requestInit: { headers: { authorization: `Bearer ${key}` } },
    fetch: async (url, init) => app.handle(new Request(url, init)),
  });
  await client.connect(transport);
  return { client, transport };
}

export const everythingStdio = () => ({
  transport: "stdio" as const,
  command: NODE,
  args: [EVERYTHING_JS, "stdio"],
});

export interface RecordingProxy {
  url: string;
  /** Path and headers of every request that reached the upstream through this proxy. */
  seen: Array<{ path: string; headers: Record<string, string> }>;
  stop(): void;
}

/**
 * A loopback pass-through in front of a real MCP server that records what LAP sent (path, headers),
 * so tests can see credentials and variables arrive upstream. Any path is forwarded to `upstreamUrl`.
 */
export function startRecordingProxy(upstreamUrl: string): RecordingProxy {
  const seen: RecordingProxy["seen"] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 60,
    async fetch(req) {
      const url = new URL(req.url);
      seen.push({ path: url.pathname, headers: Object.fromEntries(req.headers) });
      const headers = new Headers(req.headers);
      headers.delete("host");
      const body = req.method === "POST" ? await req.arrayBuffer() : undefined;
      return fetch(upstreamUrl, { method: req.method, headers, body });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, seen, stop: () => void server.stop(true) };
}
