/**
 * The built-in agent's MCP tools: one SDK client to LAP's aggregate MCP endpoint (`/mcp`), with the
 * session key, so the tools are exactly the agent's servers' tools, already named `server__tool`.
 * The agent never sees an upstream server or its credentials; LAP adds them on the way out.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { type CallToolResult, ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import type { HarnessMcp } from "../protocol";
import type { ToolResult } from "./tools";

export interface FunctionSpec {
  type: "function";
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

const MAX_OUTPUT = 30_000;
// OpenAI-style function names; a tool whose name cannot be one is left out rather than mangled.
const CALLABLE = /^[A-Za-z0-9_-]{1,64}$/;

export class McpTools {
  private client: Promise<Client> | undefined;
  private specs: Promise<FunctionSpec[]> | undefined;
  private names = new Set<string>();

  constructor(
    private readonly mcp: HarnessMcp,
    private readonly key: string,
    private readonly log: (message: string) => void = (m) => console.error(m),
  ) {}

  private connected(): Promise<Client> {
    this.client ??= (async () => {
      const client = new Client({ name: "lap-builtin-agent", version: "0.1.0" }, { capabilities: {} });
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
        this.specs = undefined;
      });
      client.onclose = () => {
        this.client = undefined;
        this.specs = undefined;
      };
      const transport = new StreamableHTTPClientTransport(new URL(this.mcp.url), {
        requestInit: { headers: { authorization: `Bearer ${this.key}` } },
      });
      await client.connect(transport);
      return client;
    })().catch((err) => {
      this.client = undefined;
      throw err;
    });
    return this.client;
  }

  /**
   * The MCP tools as model functions. An unreachable gateway leaves the agent with its own tools
   * (logged), and is tried again on the next turn.
   */
  async functions(): Promise<FunctionSpec[]> {
    this.specs ??= (async () => {
      const client = await this.connected();
      const out: FunctionSpec[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor ? { cursor } : undefined);
        for (const t of page.tools) {
          if (!CALLABLE.test(t.name)) continue;
          out.push({
            type: "function",
            function: { name: t.name, description: t.description ?? t.title ?? t.name, parameters: t.inputSchema },
          });
        }
        cursor = page.nextCursor;
      } while (cursor);
      this.names = new Set(out.map((f) => f.function.name));
      return out;
    })().catch((err) => {
      this.specs = undefined;
      this.log(`MCP tools unavailable (${this.mcp.url}): ${err instanceof Error ? err.message : String(err)}`);
      return [];
    });
    return this.specs;
  }

  has(name: string): boolean {
    return this.names.has(name);
  }

  async call(name: string, rawArgs: string, signal: AbortSignal): Promise<ToolResult> {
    let args: Record<string, unknown>;
    try {
      const parsed = rawArgs.trim() ? JSON.parse(rawArgs) : {};
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
      args = parsed as Record<string, unknown>;
    } catch {
      return { output: "tool arguments must be a JSON object", isError: true };
    }
    try {
      const client = await this.connected();
      const result = (await client.callTool({ name, arguments: args }, undefined, { signal })) as CallToolResult;
      return { output: resultText(result), isError: result.isError === true };
    } catch (err) {
      return { output: err instanceof Error ? err.message : String(err), isError: true };
    }
  }

  async close() {
    const client = await this.client?.catch(() => undefined);
    await client?.close().catch(() => {});
  }
}

/** A tool result as the text the model reads: text parts verbatim, anything else summarized. */
export function resultText(result: CallToolResult): string {
  const parts = (result.content ?? []).map((c) => {
    if (c.type === "text") return c.text;
    if (c.type === "resource" && "text" in c.resource) return String(c.resource.text);
    if (c.type === "resource_link") return `[resource ${c.uri}]`;
    return `[${c.type} content]`;
  });
  if (result.structuredContent && !parts.length) parts.push(JSON.stringify(result.structuredContent));
  const text = parts.join("\n");
  return text.length > MAX_OUTPUT ? `${text.slice(0, MAX_OUTPUT)}\n[... ${text.length - MAX_OUTPUT} more characters cut]` : text;
}
