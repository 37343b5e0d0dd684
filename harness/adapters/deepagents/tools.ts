// What DeepAgents gets besides its own tools (ls, read_file, write_file, edit_file, glob, grep,
// delete, execute, task): the agent's MCP tools through LAP's aggregate MCP endpoint, with the
// session key, named `server__tool` as LAP names them; and which tool calls wait for a person.
import { type StructuredToolInterface, tool } from "@langchain/core/tools";
import { McpTools } from "../../agent/mcp-tools.ts";
import type { McpEndpoint } from "../types.ts";

/** DeepAgents' tools under the built-in agent's names (docs/approvals.md), so one agent setting means the same everywhere. */
const LAP_TOOL_NAMES: Record<string, string> = {
  execute: "bash",
  read_file: "read",
  write_file: "write",
  edit_file: "edit",
  glob: "glob",
  grep: "grep",
  ls: "ls",
};

/** LAP's name for a DeepAgents tool: `execute` → `bash`; MCP tools are already `server__tool`. */
export const lapToolName = (name: string): string => LAP_TOOL_NAMES[name] ?? name;

/** Whether a call of this DeepAgents tool waits for a person: listed under LAP's name or its own. */
export function needsApproval(name: string, required: ReadonlySet<string>): boolean {
  return required.has(name) || required.has(lapToolName(name));
}

/** The human-in-the-loop middleware's `interruptOn` for the agent's list: every tool of ours a listed name covers. */
export function interruptOn(required: ReadonlySet<string>, toolNames: string[]): Record<string, boolean> {
  const names = [...Object.keys(LAP_TOOL_NAMES), "delete", "task", ...toolNames];
  return Object.fromEntries(names.filter((name) => needsApproval(name, required)).map((name) => [name, true]));
}

/**
 * The agent's MCP tools as LangChain tools. `servers` non-empty means the session key is scoped to
 * them; the aggregate endpoint (`<gateway>/mcp`) serves exactly those, already named `server__tool`.
 * An unreachable MCP gateway leaves the agent with its own tools (logged by McpTools).
 */
export async function mcpTools(
  gatewayUrl: string,
  servers: McpEndpoint[],
  key: string,
): Promise<{ tools: StructuredToolInterface[]; close: () => Promise<void> }> {
  if (!servers.length) return { tools: [], close: async () => {} };
  const mcp = new McpTools({ url: `${gatewayUrl.replace(/\/+$/, "")}/mcp`, servers }, key, (message) =>
    console.error(`deepagents: ${message}`),
  );
  const specs = await mcp.functions();
  const tools = specs.map(
    (spec) =>
      tool(
        async (input: unknown, config?: { signal?: AbortSignal }) => {
          const result = await mcp.call(spec.function.name, JSON.stringify(input ?? {}), config?.signal ?? new AbortController().signal);
          // An error result goes to the model as the tool's output, as the built-in agent does.
          return result.isError ? `Error: ${result.output}` : result.output;
        },
        { name: spec.function.name, description: spec.function.description, schema: spec.function.parameters as Record<string, unknown> },
      ) as StructuredToolInterface,
  );
  return { tools, close: () => mcp.close() };
}
