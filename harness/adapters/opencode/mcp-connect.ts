// A pre-started opencode (docs/sandboxes.md "Warm pool") is configured with its MCP servers off: before
// the bind the sandbox's gateway proxy holds MCP requests, and opencode's MCP client gives up on a held
// `initialize` after ~60 s, which used to make the supervisor restart the CLI cold at the bind. At the
// bind the adapter connects them through opencode serve's own API instead (`GET /mcp` for their status,
// `POST /mcp/:name/connect`), and the first turn waits for that (~0.1-0.3 s on loopback).
import type { OpencodeServer } from "./server.ts";

type McpStatus = Record<string, { status?: string; error?: string }>;

/** Connects each named server that is not connected yet; resolves with the names that still are not (logged). */
export async function connectMcpServers(server: Pick<OpencodeServer, "api">, names: string[]): Promise<string[]> {
  if (!names.length) return [];
  const status = async (): Promise<McpStatus> => {
    const response = await server.api("/mcp").catch(() => undefined);
    return response?.ok ? ((await response.json()) as McpStatus) : {};
  };
  const before = await status();
  await Promise.all(
    names
      .filter((name) => before[name]?.status !== "connected")
      .map((name) => server.api(`/mcp/${encodeURIComponent(name)}/connect`, { method: "POST" }).catch(() => undefined)),
  );
  const after = await status();
  const missing = names.filter((name) => after[name]?.status !== "connected");
  for (const name of missing) {
    // The turn goes on without them, as it would after a failed MCP start; the reason is in opencode's status.
    console.error(`opencode: MCP server ${name} did not connect after the bind: ${JSON.stringify(after[name] ?? null).slice(0, 300)}`);
  }
  return missing;
}
