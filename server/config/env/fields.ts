import { z } from "zod";

/** What `lap config`, the README table and the settings page show of a variable (server/config/schema.ts). */
export interface FieldMeta {
  description: string;
  group: string;
  secret?: boolean;
}

/**
 * The `.meta()` of a group's variables: `plain` for ordinary values, `secret` for values that are
 * redacted wherever configuration is shown.
 */
export function describedIn(group: string) {
  return {
    plain: (description: string) => ({ description, group }),
    secret: (description: string) => ({ description, group, secret: true }),
  };
}

export const intFromEnv = (def: number, min = 0) =>
  z.coerce.number({ message: "must be a whole number" }).int("must be a whole number").min(min).default(def);

export const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

export const optionalNumber = optionalString.transform((v) => (v === undefined ? undefined : Number(v)));

export const urlString = z.url({ message: "must be a URL such as http://host:port" });
