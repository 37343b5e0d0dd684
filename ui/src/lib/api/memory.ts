// An agent's memory (docs/memory.md): entries, their versions, restore.
import type { z } from "zod";
import type { CreateMemoryInput, memoryListView, MemoryVersionView, MemoryView, UpdateMemoryInput } from "../../../../server/memory/model";
import { q, request } from "./client";

export type { CreateMemoryInput, MemoryVersionView, MemoryView, UpdateMemoryInput };
export type MemoryList = z.infer<typeof memoryListView>;

const base = (agentId: string) => `/api/agents/${encodeURIComponent(agentId)}/memory`;

export const memoryApi = {
  memory: {
    list: (agentId: string, opts: { q?: string; deleted?: boolean } = {}) =>
      request<MemoryList>("GET", `${base(agentId)}${q({ q: opts.q, deleted: opts.deleted ? "true" : undefined, limit: 500 })}`),
    create: (agentId: string, input: CreateMemoryInput) => request<MemoryView>("POST", base(agentId), input),
    update: (agentId: string, id: string, input: UpdateMemoryInput) =>
      request<MemoryView>("PATCH", `${base(agentId)}/${encodeURIComponent(id)}`, input),
    remove: (agentId: string, id: string) => request<MemoryView>("DELETE", `${base(agentId)}/${encodeURIComponent(id)}`),
    history: (agentId: string, id: string) =>
      request<{ data: MemoryVersionView[] }>("GET", `${base(agentId)}/${encodeURIComponent(id)}/history`).then((r) => r.data),
    restore: (agentId: string, id: string, version?: number) =>
      request<MemoryView>("POST", `${base(agentId)}/${encodeURIComponent(id)}/restore`, version ? { version } : {}),
  },
};
