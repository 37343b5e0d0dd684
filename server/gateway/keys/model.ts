import { z } from "zod";
import { idString, modelName, safeString } from "../../lib/strings";
import { durationMs } from "./duration";

const duration = z
  .string()
  .max(32, "must be a duration such as 30s, 15m, 1h, 30d")
  .refine((v) => durationMs(v) !== undefined, "must be a duration such as 30s, 15m, 1h, 30d");
const nonNeg = z.number({ message: "must be a number" }).min(0, "must be 0 or more");
const posInt = z.number({ message: "must be a whole number" }).int("must be a whole number").min(1, "must be at least 1");

/** The limit fields shared by /key/generate and /key/update (LiteLLM names). */
const limits = {
  key_alias: z.string().trim().min(1).max(200).nullish(),
  models: z.array(modelName("a model name")).max(1000, "at most 1000").optional(),
  max_budget: nonNeg.nullish(),
  budget_duration: duration.nullish(),
  rpm_limit: posInt.nullish(),
  tpm_limit: posInt.nullish(),
  max_parallel_requests: posInt.nullish(),
  duration: duration.nullish(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  user_id: z.string().max(200).nullish(),
  team_id: z.string().max(200).nullish(),
};

export const generateKeyBody = z.object({
  ...limits,
  session_id: z.string().max(200).nullish(),
  agent_id: z.string().max(200).nullish(),
});
export type GenerateKeyInput = z.input<typeof generateKeyBody>;

export const updateKeyBody = z.object({ key: idString(512), ...limits });
export type UpdateKeyInput = z.input<typeof updateKeyBody>;

export const deleteKeyBody = z
  .object({
    keys: z.array(idString(512)).max(1000, "at most 1000").optional(),
    key_aliases: z.array(idString(200)).max(1000, "at most 1000").optional(),
  })
  .refine((b) => (b.keys?.length ?? 0) + (b.key_aliases?.length ?? 0) > 0, { message: "give keys or key_aliases", path: ["keys"] });

export const keyInfoQuery = z.object({ key: idString(512).optional() });
export const keyListQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  size: z.coerce.number().int().min(1).max(500).default(50),
  user_id: safeString({ max: 200 }).optional(),
  team_id: safeString({ max: 200 }).optional(),
  key_alias: safeString({ max: 200 }).optional(),
  return_full_object: z.enum(["true", "false"]).optional(),
});

export interface KeyInfo {
  token: string;
  token_id: string;
  key_name: string;
  key_alias: string | null;
  models: string[];
  spend: number;
  max_budget: number | null;
  budget_duration: string | null;
  budget_reset_at: string | null;
  rpm_limit: number | null;
  tpm_limit: number | null;
  max_parallel_requests: number | null;
  expires: string | null;
  user_id: string | null;
  team_id: string | null;
  session_id: string | null;
  agent_id: string | null;
  metadata: Record<string, unknown>;
  aliases: Record<string, never>;
  config: Record<string, never>;
  created_at: string;
  status: "active" | "expired" | "revoked";
  /** LAP's own: `session` (minted for one session) or `gateway` (docs/security.md "Keys and what each kind may do"). */
  kind: "gateway" | "session";
}
