import { z } from "zod";
import { idString } from "../lib/strings";
import { hostPattern, hostPatterns } from "../net/host-patterns";
import { isReservedSandboxEnv } from "../sandboxes/secrets/reserved-env";

const name = z
  .string({ error: (i) => (i.input === undefined ? "required: the environment variable name the sandbox sees" : "must be a string") })
  .trim()
  .max(128, "at most 128 characters")
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name: letters, digits and _, not starting with a digit")
  .refine((n) => !isReservedSandboxEnv(n), "reserved: LAP sets this variable in every sandbox (LAP_*, BUN_*, proxies, LAP's own keys)");
const value = z
  .string({ error: (i) => (i.input === undefined ? "required: the secret's value" : "must be a string") })
  .min(1, "must not be empty")
  .max(16_384, "at most 16384 characters");
const hosts = hostPatterns.min(1, "at least one host the secret may be sent to");

export const createVaultSecretBody = z
  .object({
    name,
    value,
    hosts: z
      .array(hostPattern, { error: "required: at least one host the secret may be sent to" })
      .min(1, "at least one host the secret may be sent to")
      .max(100),
    description: z.string().max(2000).default(""),
    /** The team whose admins may attach it to the team's agents; absent: org-wide (only admins attach it). */
    team_id: z.string().min(1).max(128).optional(),
  })
  .strict();
export type CreateVaultSecretInput = z.input<typeof createVaultSecretBody>;

/** PATCH: `value` rotates the secret; the name cannot change (agents refer to it). */
export const updateVaultSecretBody = z
  .object({ value: value.optional(), hosts: hosts.optional(), description: z.string().max(2000).optional() })
  .strict();
export type UpdateVaultSecretInput = z.input<typeof updateVaultSecretBody>;

export const vaultIdParams = z.object({ id: idString(64) });

export const vaultSecretView = z.object({
  id: z.string(),
  name: z.string(),
  hosts: z.array(z.string()),
  description: z.string(),
  /** At most the last four characters, e.g. `••••abcd`; never the value. */
  value_hint: z.string(),
  /** Agents whose `vault_keys` name this secret. */
  agents: z.array(z.object({ id: z.string(), name: z.string() })),
  team_id: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  rotated_at: z.string(),
  last_used_at: z.string().nullable(),
});
export type VaultSecretView = z.infer<typeof vaultSecretView>;
