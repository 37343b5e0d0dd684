import { Elysia } from "elysia";
import { z } from "zod";
import type { AuthGuard } from "../http/auth-guard";
import {
  createMemoryBody,
  listMemoryQuery,
  MEMORY_LIMITS,
  memoryEntryParams,
  memoryListView,
  memoryParams,
  memoryVersionView,
  memoryView,
  restoreMemoryBody,
  updateMemoryBody,
} from "./model";
import type { MemoryService } from "./service";

const limits = {
  entry_chars: MEMORY_LIMITS.entryChars,
  agent_chars: MEMORY_LIMITS.agentChars,
  entries: MEMORY_LIMITS.entries,
  always_on_chars: MEMORY_LIMITS.alwaysOnChars,
};

/** An agent's memory (docs/memory.md): whoever sees the agent reads it; whoever may change the agent writes it. */
export function memoryRoutes(deps: { memory: MemoryService; guard: AuthGuard }) {
  const m = deps.memory;
  return new Elysia({ prefix: "/api/agents/:id/memory", detail: { tags: ["Memory"] } })
    .use(deps.guard)
    .get(
      "",
      async ({ params, query, principal }) => {
        const a = await m.personAccess(params.id, principal, false);
        return {
          data: await m.list(a, { q: query.q, deleted: query.deleted === "true", limit: query.limit }),
          usage: await m.usage(a.agent.id),
          limits,
        };
      },
      {
        params: memoryParams,
        query: listMemoryQuery,
        response: memoryListView,
        detail: { summary: "List (q: search keys and content) an agent's memory, with its usage and limits" },
      },
    )
    .post(
      "",
      async ({ params, body, set, principal }) => {
        const entry = await m.create(await m.personAccess(params.id, principal, true), body);
        set.status = 201;
        return entry;
      },
      {
        params: memoryParams,
        body: createMemoryBody,
        response: { 201: memoryView },
        detail: { summary: "Add a memory entry (always_on: in every new session's prompt)" },
      },
    )
    .get("/:memoryId", async ({ params, principal }) => m.get(await m.personAccess(params.id, principal, false), params.memoryId), {
      params: memoryEntryParams,
      response: memoryView,
    })
    .patch(
      "/:memoryId",
      async ({ params, body, principal }) => m.update(await m.personAccess(params.id, principal, true), params.memoryId, body),
      {
        params: memoryEntryParams,
        body: updateMemoryBody,
        response: memoryView,
        detail: { summary: "Change an entry; the previous version is kept" },
      },
    )
    .delete("/:memoryId", async ({ params, principal }) => m.remove(await m.personAccess(params.id, principal, true), params.memoryId), {
      params: memoryEntryParams,
      response: memoryView,
      detail: { summary: "Delete an entry (restorable: POST …/restore)" },
    })
    .get(
      "/:memoryId/history",
      async ({ params, principal }) => ({ data: await m.history(await m.personAccess(params.id, principal, false), params.memoryId) }),
      {
        params: memoryEntryParams,
        response: z.object({ data: z.array(memoryVersionView) }),
        detail: { summary: "Every version of an entry, newest first" },
      },
    )
    .post(
      "/:memoryId/restore",
      async ({ params, body, principal }) => m.restore(await m.personAccess(params.id, principal, true), params.memoryId, body ?? {}),
      {
        params: memoryEntryParams,
        body: restoreMemoryBody,
        response: memoryView,
        detail: { summary: "Bring back a version (or undelete): recorded as a new version" },
      },
    );
}
