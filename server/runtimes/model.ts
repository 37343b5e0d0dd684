import { z } from "zod";
import { idString } from "../lib/strings";

export const runtimeProtocol = z.enum(["managed-agents"], { error: "must be managed-agents" });
/** Protocols of stored runtimes: `sandbox` is LAP's own built-in runtime (one row, created at start). */
export const storedRuntimeProtocol = z.enum(["managed-agents", "sandbox"]);

export const createRuntimeBody = z.object({
  alias: z
    .string({ error: (i) => (i.input === undefined ? "required: a short name such as claude or local-opencode" : "must be a string") })
    .trim()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, "letters, digits, - and _ only (at most 64)"),
  protocol: runtimeProtocol.default("managed-agents"),
  base_url: z
    .url({ protocol: /^https?$/, message: "must be an http(s) URL such as https://api.anthropic.com" })
    .max(2048, "at most 2048 characters"),
  api_key: z.string({ error: "required: the runtime's API key" }).min(1, "required: the runtime's API key").max(4096),
  /** Only this team's agents may use it; absent: org-wide. */
  team_id: z.string().min(1).max(128).optional(),
});
export type CreateRuntimeInput = z.input<typeof createRuntimeBody>;

export const runtimeIdParams = z.object({ id: idString(64) });

export const runtimeView = z.object({
  id: z.string(),
  alias: z.string(),
  protocol: storedRuntimeProtocol,
  base_url: z.string(),
  /** Last four characters only; the key itself never leaves the server. */
  api_key_hint: z.string(),
  status: z.enum(["unknown", "ok", "error"]),
  status_message: z.string().nullable(),
  checked_at: z.string().nullable(),
  /** null: org-wide (every team's agents may use it); else only that team's agents. */
  team_id: z.string().nullable(),
  created_at: z.string(),
});
export type RuntimeView = z.infer<typeof runtimeView>;
