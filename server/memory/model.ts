import { z } from "zod";
import { idString, safeString } from "../lib/strings";

/**
 * Limits of an agent's memory (docs/memory.md "Limits"): one entry's content, everything the agent
 * holds (live entries), how many entries, and the always-on part that enters every system prompt.
 */
export const MEMORY_LIMITS = {
  entryChars: 16_000,
  agentChars: 200_000,
  entries: 500,
  alwaysOnChars: 32_000,
} as const;

/** A memory key: one printable line; it is the entry's title in the dashboard and its name for the agent. */
export const memoryKey = safeString({ max: 200, line: true, what: "a key (a short title such as deploy-steps)" }).pipe(
  z.string().trim().min(1, "required: a key (a short title such as deploy-steps)"),
);
export const memoryContent = safeString({ min: 1, max: MEMORY_LIMITS.entryChars, what: "the content to remember" });

export const createMemoryBody = z
  .object({
    key: memoryKey,
    content: memoryContent,
    always_on: z.boolean({ error: "must be true or false" }).default(false),
    /** `user`: only sessions the calling user creates get it (needs a signed-in user or a personal key). */
    scope: z.enum(["agent", "user"], { error: 'must be "agent" or "user"' }).default("agent"),
  })
  .strict();
export type CreateMemoryInput = z.input<typeof createMemoryBody>;

export const updateMemoryBody = z
  .object({
    key: memoryKey.optional(),
    content: memoryContent.optional(),
    always_on: z.boolean({ error: "must be true or false" }).optional(),
  })
  .strict()
  .refine((b) => b.key !== undefined || b.content !== undefined || b.always_on !== undefined, {
    message: "give key, content or always_on",
    path: ["content"],
  });
export type UpdateMemoryInput = z.input<typeof updateMemoryBody>;

export const restoreMemoryBody = z
  .object({
    /** The version to bring back (its key, content and always_on); absent: the entry as it was before its delete. */
    version: z.number({ error: "must be a version number" }).int("must be a whole number").min(1, "at least 1").optional(),
  })
  .strict();

export const memoryParams = z.object({ id: idString(64) });
export const memoryEntryParams = z.object({ id: idString(64), memoryId: idString(64) });
export const listMemoryQuery = z.object({
  q: safeString({ max: 200 }).optional(),
  /** `true`: deleted entries too (to restore them). */
  deleted: z.enum(["true", "false"], { error: 'must be "true" or "false"' }).optional(),
  limit: z.coerce
    .number({ error: "must be a number" })
    .int("must be a whole number")
    .min(1, "at least 1")
    .max(500, "at most 500")
    .default(100),
});

export const memoryView = z.object({
  id: z.string(),
  agent_id: z.string(),
  key: z.string(),
  content: z.string(),
  always_on: z.boolean(),
  scope: z.enum(["agent", "user"]),
  user_id: z.string().nullable(),
  version: z.number(),
  updated_by: z.string(),
  deleted: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type MemoryView = z.infer<typeof memoryView>;

export const memoryVersionView = z.object({
  version: z.number(),
  key: z.string(),
  content: z.string(),
  always_on: z.boolean(),
  change: z.string(),
  deleted: z.boolean(),
  updated_by: z.string(),
  created_at: z.string(),
});
export type MemoryVersionView = z.infer<typeof memoryVersionView>;

export const memoryListView = z.object({
  data: z.array(memoryView),
  /** What the agent holds now, against its limits (live entries). */
  usage: z.object({ entries: z.number(), chars: z.number(), always_on_chars: z.number() }),
  limits: z.object({ entry_chars: z.number(), agent_chars: z.number(), entries: z.number(), always_on_chars: z.number() }),
});
