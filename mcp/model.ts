import { z } from "zod";
import { idString, safeString } from "../server/lib/strings";
import { USER_VALUE_MAX, userVariablesInCode, userVariablesInOrigin } from "./registry/secrets";

/**
 * Shapes of the MCP registry API. Secrets (env values, header values, credentials, variable values)
 * are accepted on input only: views carry names and `has_*` flags, never values.
 */

/** Lowercase, digits and single dashes: no `_`, so `<server>__<tool>` always splits unambiguously. */
export const serverName = z
  .string({ error: (i) => (i.input === undefined ? "required" : "must be a string") })
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/, "use 1-48 lowercase letters, digits and dashes (no underscores)")
  // LAP's own platform tools answer at /mcp/lap (docs/memory.md).
  .refine((n) => n !== "lap", "lap is reserved for LAP's platform tools (docs/memory.md); pick another name");

export const transportSchema = z.enum(["stdio", "streamable-http", "sse"]);
export type Transport = z.infer<typeof transportSchema>;

const envName = z
  .string()
  .max(128, "at most 128 characters")
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a valid environment variable name");
const headerName = z.string().regex(/^[A-Za-z0-9-]{1,100}$/, "must be a valid HTTP header name");
const toolList = z.array(z.string().min(1).max(200)).max(1000);
/** A credential or a value sent upstream: one line, capped (it may end up in an HTTP header). */
const secretValue = (min = 1) => safeString({ min: min || undefined, max: 16_384, line: true });
/** An HTTP header value: Latin-1 without control characters, or `fetch` refuses it at call time. */
const headerValue = safeString({ max: 8192 }).regex(
  /^[\t\x20-\x7e\x80-\xff]*$/,
  "must be a header value: printable Latin-1, no line breaks",
);
const bounded = <T extends z.ZodType>(record: T, max = 100) =>
  record.refine((r) => Object.keys(r as object).length <= max, `at most ${max} entries`);

export const authInput = z.discriminatedUnion("type", [
  z.object({ type: z.literal("none") }),
  z.object({ type: z.literal("bearer"), token: secretValue() }),
  z.object({ type: z.literal("api_key"), header: headerName.default("x-api-key"), key: secretValue() }),
  z.object({ type: z.literal("basic"), username: secretValue(), password: secretValue(0) }),
  z.object({
    type: z.literal("oauth"),
    scopes: z.array(idString(200)).max(50, "at most 50").default([]),
    /** Pre-registered client; without it LAP registers itself dynamically (RFC 7591). */
    client_id: secretValue().optional(),
    client_secret: secretValue().optional(),
  }),
]);
export type AuthInput = z.infer<typeof authInput>;

export const variableInput = z.object({
  name: envName,
  scope: z.enum(["instance", "user"]).default("instance"),
  /** Instance variables only; per-user values come from each user's credentials. */
  value: safeString({ max: 16_384 }).optional(),
});

export const bindPath = z.object({
  path: z
    .string()
    .max(4096, "at most 4096 characters")
    .regex(/^\/(?!.*\.\.)/, "must be an absolute path without .."),
  writable: z.boolean().default(false),
});

/** Field schemas without defaults: updates must not fill in defaults over stored values. */
const baseFields = {
  name: serverName,
  description: z.string().max(2000),
  transport: transportSchema,
  command: z.string().min(1).max(1000),
  args: z.array(z.string().max(4000)).max(200),
  env: bounded(z.record(envName, safeString({ max: 16_384 }))),
  bind_paths: z.array(bindPath).max(50),
  /** stdio: a way out through LAP's egress proxy, to public addresses only (off by default; docs/mcp.md). */
  network: z.boolean(),
  url: z
    .url({ message: "must be an http(s) URL" })
    .max(2048, "at most 2048 characters")
    .regex(/^https?:\/\//, "must be an http(s) URL"),
  headers: bounded(z.record(headerName, headerValue)),
  auth: authInput,
  variables: z.array(variableInput).max(100),
  allowed_tools: toolList.nullable(),
  disabled_tools: toolList,
  enabled: z.boolean(),
  timeout_ms: z.number().int().min(100).max(3_600_000).nullable(),
  log_payloads: z.boolean(),
};

const serverFields = {
  ...baseFields,
  description: baseFields.description.default(""),
  command: baseFields.command.optional(),
  args: baseFields.args.default([]),
  env: baseFields.env.optional(),
  bind_paths: baseFields.bind_paths.default([]),
  network: baseFields.network.default(false),
  url: baseFields.url.optional(),
  headers: baseFields.headers.optional(),
  auth: authInput.default({ type: "none" }),
  variables: baseFields.variables.default([]),
  allowed_tools: baseFields.allowed_tools.default(null),
  disabled_tools: baseFields.disabled_tools.default([]),
  enabled: baseFields.enabled.default(true),
  timeout_ms: baseFields.timeout_ms.default(null),
  log_payloads: baseFields.log_payloads.default(false),
  /** The team whose agents and members use it (its admins register it); absent: org-wide (admins only). Fixed once made. */
  team_id: z.string().min(1).max(128).optional(),
};

function checkTransport(
  v: {
    transport?: Transport;
    command?: string;
    args?: string[];
    url?: string;
    auth?: AuthInput;
    variables?: Array<{ name: string; scope?: string }>;
  },
  ctx: z.RefinementCtx,
) {
  const userNames = (v.variables ?? []).filter((x) => x.scope === "user").map((x) => x.name);
  // A user's value may only fill a path or query: in the host it would send the server's credentials where the user chooses.
  const inOrigin = v.url ? userVariablesInOrigin(v.url, userNames) : [];
  if (inOrigin.length)
    ctx.addIssue({
      code: "custom",
      path: ["url"],
      message: `per-user variable ${inOrigin.join(", ")} may not be in the scheme, host or port; put it in the path or query`,
    });
  // Nor be code a shell or an interpreter runs (docs/mcp.md, "Variables in stdio servers").
  if (v.transport === "stdio" && v.command) {
    for (const { index, names } of userVariablesInCode(v.command, v.args ?? [], userNames)) {
      ctx.addIssue({
        code: "custom",
        path: ["args", index],
        message: `per-user variable ${names.join(", ")} would be code this command runs; pass it in env and read it from there ("$${names[0]}")`,
      });
    }
  }
  if (v.transport === "stdio" && !v.command) ctx.addIssue({ code: "custom", path: ["command"], message: "required for transport stdio" });
  if ((v.transport === "streamable-http" || v.transport === "sse") && !v.url) {
    ctx.addIssue({ code: "custom", path: ["url"], message: `required for transport ${v.transport}` });
  }
  if (v.transport === "stdio" && v.auth && v.auth.type !== "none") {
    ctx.addIssue({ code: "custom", path: ["auth", "type"], message: "stdio servers take credentials through env, not auth" });
  }
}

export const createServerBody = z.object(serverFields).superRefine(checkTransport);
export type CreateServerInput = z.input<typeof createServerBody>;
export type CreateServer = z.output<typeof createServerBody>;

/** Every field optional; a secret-bearing field given replaces the stored one, omitted keeps it. */
export const updateServerBody = z
  .object(
    Object.fromEntries(Object.entries(baseFields).map(([k, v]) => [k, (v as z.ZodType).optional()])) as {
      [K in keyof typeof baseFields]: z.ZodOptional<(typeof baseFields)[K]>;
    },
  )
  .strict();
export type UpdateServer = z.output<typeof updateServerBody>;

export const serverIdParams = z.object({ id: idString(64) });

export const serverView = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  transport: transportSchema,
  command: z.string().nullable(),
  args: z.array(z.string()),
  env_names: z.array(z.string()),
  bind_paths: z.array(z.object({ path: z.string(), writable: z.boolean() })),
  network: z.boolean(),
  url: z.string().nullable(),
  header_names: z.array(z.string()),
  auth: z.object({
    type: z.enum(["none", "bearer", "api_key", "basic", "oauth"]),
    header: z.string().optional(),
    scopes: z.array(z.string()).optional(),
    client_id: z.string().optional(),
    has_credentials: z.boolean(),
  }),
  variables: z.array(z.object({ name: z.string(), scope: z.enum(["instance", "user"]), has_value: z.boolean() })),
  allowed_tools: z.array(z.string()).nullable(),
  disabled_tools: z.array(z.string()),
  enabled: z.boolean(),
  timeout_ms: z.number().nullable(),
  log_payloads: z.boolean(),
  proxy_path: z.string(),
  /** null: org-wide; else the team's (docs/security.md "Users, teams and roles"). */
  team_id: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type ServerView = z.infer<typeof serverView>;

export const healthView = z.object({
  state: z.enum(["idle", "connecting", "connected", "failed", "closed"]),
  connections: z.number(),
  last_connected_at: z.string().nullable(),
  recent_errors: z.array(z.object({ at: z.string(), message: z.string() })),
});

export const grantBody = z.object({
  server_id: z.string().min(1).max(64),
  subject_type: z.enum(["key", "user", "agent", "team"]),
  subject_id: z.string().min(1).max(200),
  /** null or omitted: every tool of the server. */
  tools: toolList.nullable().default(null),
});
export const grantView = z.object({
  id: z.string(),
  server_id: z.string(),
  server_name: z.string(),
  subject_type: z.enum(["key", "user", "agent", "team"]),
  subject_id: z.string(),
  tools: z.array(z.string()).nullable(),
  created_at: z.string(),
});
export type GrantView = z.infer<typeof grantView>;

export const userCredentialBody = z.object({
  /** Personal key/token used with the server's auth type (bearer, api_key; basic as `user:password`). */
  credential: secretValue().optional(),
  /** Per-user variable values: one line each, no control characters (docs/mcp.md, "Variables in stdio servers"). */
  variables: bounded(z.record(envName, safeString({ max: USER_VALUE_MAX, line: true }))).optional(),
});

export const callsQuery = z.object({
  server: z.string().max(64).optional(),
  session_id: z.string().max(200).optional(),
  status: z.enum(["ok", "error", "denied", "timeout", "cancelled", "unavailable"]).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export const toolCallView = z.object({
  id: z.string(),
  server_name: z.string(),
  tool: z.string(),
  key_id: z.string().nullable(),
  caller_label: z.string(),
  user_id: z.string().nullable(),
  agent_id: z.string().nullable(),
  session_id: z.string().nullable(),
  status: z.string(),
  duration_ms: z.number(),
  error: z.string().nullable(),
  arguments: z.unknown().nullable(),
  result: z.unknown().nullable(),
  created_at: z.string(),
});
export type ToolCallView = z.infer<typeof toolCallView>;

/** POST /api/mcp/servers/:id/test: whether LAP could connect, and what the server offers. */
export const testResultView = z.object({
  ok: z.boolean(),
  duration_ms: z.number(),
  error: z.string().optional(),
  /** The server's own name and version (MCP `initialize`), when it connected. */
  server_info: z.looseObject({}).nullable().optional(),
  tools: z.array(z.object({ name: z.string(), description: z.string(), enabled: z.boolean() })),
  prompts: z.array(z.object({ name: z.string(), description: z.string() })),
  resources: z.array(z.object({ uri: z.string(), name: z.string() })),
});
