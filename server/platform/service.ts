import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { Principal } from "../auth/model";
import type { Database } from "../db/client";
import { ApiError } from "../lib/errors";
import type { MemoryService } from "../memory/service";
import { PLATFORM_TOOLS, REQUEST_APPROVAL } from "./tools";
import { SessionTools, type SessionToolsDeps } from "./sessions";

import { type PlatformCaller, ToolError } from "./types";

export type { PlatformCaller };

const text = (t: string, isError = false): CallToolResult => ({
  content: [{ type: "text", text: t }],
  ...(isError ? { isError: true } : {}),
});
const json = (v: unknown): CallToolResult => text(JSON.stringify(v, null, 2));

const key = z.string().trim().min(1, "key must not be empty").max(200, "key: at most 200 characters");
const limit = (max: number, dflt: number) => z.number().int().min(1).max(max).default(dflt);
const ARGS = {
  memory_list: z.object({ limit: limit(500, 100) }).strict(),
  memory_search: z.object({ query: z.string().trim().min(1, "query must not be empty").max(200) }).strict(),
  memory_read: z.object({ key }).strict(),
  memory_write: z
    .object({ key, content: z.string(), always_on: z.boolean().optional(), scope: z.enum(["agent", "user"]).default("agent") })
    .strict(),
  memory_delete: z.object({ key }).strict(),
  start_subagent: z
    .object({
      agent: z.string().trim().min(1).max(200),
      message: z.string().min(1, "message must not be empty").max(100_000),
      wait_seconds: z.number().min(1).max(50).default(45),
    })
    .strict(),
  list_sessions: z.object({ limit: limit(100, 20) }).strict(),
  read_session: z.object({ session_id: z.string().min(1).max(64), limit: limit(200, 20) }).strict(),
  message_session: z
    .object({
      session_id: z.string().min(1).max(64),
      text: z.string().min(1, "text must not be empty").max(100_000),
      wait_seconds: z.number().min(1).max(50).default(45),
    })
    .strict(),
  [REQUEST_APPROVAL]: z.object({ summary: z.string().trim().min(1, "summary must not be empty").max(2000) }).strict(),
} as const;

/**
 * LAP's platform tools (docs/memory.md "Platform tools"), served to an agent's own session as the MCP
 * server `lap`. Every tool acts for the calling session's agent only: the session key names both, and
 * nothing here takes another agent's or session's id except sessions of the same agent (checked).
 */
export class PlatformService {
  readonly sessions: SessionTools;

  constructor(private readonly deps: { database: Database; memory: MemoryService } & SessionToolsDeps) {
    this.sessions = new SessionTools(deps);
  }

  /** The caller when it is a live session key of an agent that keeps its platform tools; else null. */
  async callerOf(principal: Principal, ids: { sessionId?: string; agentId?: string }): Promise<PlatformCaller | null> {
    if (principal.kind !== "session" || !ids.sessionId || !ids.agentId) return null;
    const [row] = await this.deps.database.query<{ platform_tools: boolean }>(
      "select a.platform_tools from sessions s join agents a on a.id = s.agent_id where s.id = $1 and s.agent_id = $2",
      [ids.sessionId, ids.agentId],
    );
    if (!row?.platform_tools) return null;
    return { sessionId: ids.sessionId, agentId: ids.agentId, principal };
  }

  tools(): Tool[] {
    return PLATFORM_TOOLS;
  }

  async call(
    caller: PlatformCaller,
    name: string,
    rawArgs: Record<string, unknown> | undefined,
    signal?: AbortSignal,
  ): Promise<CallToolResult> {
    const schema = ARGS[name as keyof typeof ARGS];
    if (!schema) return text(`Unknown tool ${name.slice(0, 100)}`, true);
    const parsed = schema.safeParse(rawArgs ?? {});
    if (!parsed.success)
      return text(
        `Invalid arguments: ${parsed.error.issues.map((i) => `${i.path.join(".") || "arguments"}: ${i.message}`).join("; ")}`,
        true,
      );
    try {
      return await this.run(caller, name, parsed.data as Record<string, unknown>, signal);
    } catch (err) {
      if (err instanceof ToolError || err instanceof ApiError) return text(err.message, true);
      if (err instanceof z.ZodError)
        return text(`Invalid arguments: ${err.issues.map((i) => `${i.path.join(".") || "arguments"}: ${i.message}`).join("; ")}`, true);
      throw err;
    }
  }

  // biome-ignore lint/suspicious/noExplicitAny: MCP tool arguments; each tool checks the fields it reads
  private async run(c: PlatformCaller, name: string, a: Record<string, any>, signal?: AbortSignal): Promise<CallToolResult> {
    const m = this.deps.memory;
    const access = () => m.sessionAccess(c.sessionId, c.agentId, c.principal);
    switch (name) {
      case "memory_list": {
        const rows = await m.list(await access(), { limit: a.limit });
        if (!rows.length) return text("Your memory is empty.");
        return json(rows.map((r) => ({ key: r.key, always_on: r.always_on, scope: r.scope, preview: r.content.slice(0, 200) })));
      }
      case "memory_search": {
        const rows = await m.list(await access(), { q: a.query, limit: 50 });
        if (!rows.length) return text(`Nothing in your memory matches ${JSON.stringify(a.query)}.`);
        return json(rows.map((r) => ({ key: r.key, always_on: r.always_on, content: r.content.slice(0, 2000) })));
      }
      case "memory_read": {
        const r = await m.byKey(await access(), a.key);
        return json({ key: r.key, always_on: r.always_on, scope: r.scope, version: r.version, content: r.content });
      }
      case "memory_write": {
        const acc = await access();
        const existing = await m
          .byKey(acc, a.key)
          .catch((err) => (err instanceof ApiError && err.status === 404 ? null : Promise.reject(err)));
        if (existing && (existing.scope === a.scope || a.scope === undefined)) {
          const r = await m.update(acc, existing.id, {
            content: a.content,
            ...(a.always_on !== undefined ? { always_on: a.always_on } : {}),
          });
          return text(`Updated ${r.key} (version ${r.version}).`);
        }
        const r = await m.create(acc, { key: a.key, content: a.content, always_on: a.always_on ?? false, scope: a.scope });
        return text(`Remembered ${r.key}${r.always_on ? " (always on: in every new session's instructions)" : ""}.`);
      }
      case "memory_delete": {
        const acc = await access();
        const r = await m.remove(acc, (await m.byKey(acc, a.key)).id);
        return text(`Forgot ${r.key}.`);
      }
      case "start_subagent":
        return json(await this.sessions.startSubagent(c, a.agent, a.message, a.wait_seconds * 1000, signal));
      case "list_sessions":
        return json(await this.sessions.list(c, a.limit));
      case "read_session":
        return json(await this.sessions.read(c, a.session_id, a.limit));
      case "message_session":
        return json(await this.sessions.message(c, a.session_id, a.text, a.wait_seconds * 1000, signal));
      case REQUEST_APPROVAL:
        // Reached only after a person allowed the call: the harness asks first (it is an approval-required tool).
        return text(`Approved by a person: ${a.summary}`);
    }
    return text(`Unknown tool ${name}`, true);
  }
}
