/**
 * Responses API `namespace` tools, as Codex sends an MCP server's tools (`{type: "namespace", name:
 * "mcp__lap", tools: [{type: "function", name: "memory_write", …}]}`) and calls them (`function_call`
 * items with `namespace` and the tool's own `name`). Chat completions has flat functions only, so a
 * namespaced tool travels upstream as `<namespace>__<name>` (Codex's own flat MCP name) and the
 * model's call comes back split into `namespace` and `name` again (docs/gateway.md, the routes paragraph).
 */
import type { Json } from "../types";

/** The chat function name of a (possibly namespaced) Responses tool. */
export function flatName(namespace: unknown, name: unknown): string {
  const own = String(name ?? "");
  if (typeof namespace !== "string" || !namespace) return own;
  return namespace.endsWith("_") ? `${namespace}${own}` : `${namespace}__${own}`;
}

/** The request's function tools, namespaced ones flattened; other tool types chat cannot carry are left out. */
export function flatFunctionTools(tools: unknown): Json[] {
  const out: Json[] = [];
  for (const tool of Array.isArray(tools) ? (tools as Json[]) : []) {
    if (tool.type === "function") out.push(tool);
    else if (tool.type === "namespace" && Array.isArray(tool.tools))
      for (const member of tool.tools as Json[])
        if (member.type === "function") out.push({ ...member, name: flatName(tool.name, member.name) });
  }
  return out;
}

/** A chat tool call's name as the Responses caller declared it: `{namespace, name}` for a namespaced tool. */
export function splitName(request: Json, flat: unknown): { name: string; namespace?: string } {
  const name = String(flat ?? "");
  for (const tool of Array.isArray(request.tools) ? (request.tools as Json[]) : []) {
    if (tool.type !== "namespace" || !Array.isArray(tool.tools)) continue;
    const member = (tool.tools as Json[]).find((m) => flatName(tool.name, m.name) === name);
    if (member) return { namespace: String(tool.name), name: String(member.name) };
  }
  return { name };
}
