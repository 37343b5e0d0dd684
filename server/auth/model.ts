import { z } from "zod";

export const roleSchema = z.enum(["admin", "user"]);
export type Role = z.infer<typeof roleSchema>;

/** Who is calling: the master key, an API key, or a dashboard session cookie made from one of them. */
export interface Principal {
  via: "master_key" | "api_key" | "session" | "stream_token";
  role: Role;
  /** API key id, absent for the master key. */
  keyId?: string;
  label: string;
  /** SHA-256 (hex) of the API key the call was made with (the gateway's spend rows record it). */
  keyHash?: string;
}

export const loginBody = z.object({
  key: z.string().min(1, "enter the master key or an admin API key"),
});

export const createKeyBody = z.object({
  label: z.string({ error: (i) => (i.input === undefined ? "required: give the key a label" : "must be a string") })
    .trim().min(1, "give the key a label").max(100, "at most 100 characters"),
  role: roleSchema.default("user"),
  expires_at: z.iso.datetime({ offset: true, message: "must be an ISO date-time" }).optional()
    .refine((v) => v === undefined || Date.parse(v) > Date.now(), "must be in the future"),
  metadata: z.record(z.string(), z.unknown()).optional(),
});
export type CreateKeyInput = z.input<typeof createKeyBody>;

export const keyIdParams = z.object({ id: z.string().min(1).max(64) });

export const apiKeyView = z.object({
  id: z.string(),
  label: z.string(),
  role: roleSchema,
  prefix: z.string(),
  created_at: z.string(),
  expires_at: z.string().nullable(),
  last_used_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
  status: z.enum(["active", "expired", "revoked"]),
});
export type ApiKeyView = z.infer<typeof apiKeyView>;

export const createdKeyView = z.object({ key: apiKeyView, token: z.string() });
export const meView = z.object({ name: z.string(), role: roleSchema, via: z.string(), label: z.string() });
