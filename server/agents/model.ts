import { z } from "zod";
import { idString, safeString } from "../lib/strings";
import { hostPatterns } from "../net/host-patterns";

const req = (what: string) => ({ error: (i: { input: unknown }) => (i.input === undefined ? `required: ${what}` : "must be a string") });
const idList = (what: string) =>
  z.array(idString(200).pipe(z.string().trim().min(1, `each ${what} must be non-empty`))).max(100, "at most 100");

/**
 * A tool as a harness names it: `bash`, Claude Code's `Bash`, MCP's `github__create_issue` or
 * `mcp__github__create_issue`. Separators only between letters or digits, so `mcp__` or `-` is refused.
 */
const toolName = z
  .string()
  .trim()
  .regex(
    /^[A-Za-z0-9](?:[A-Za-z0-9_.:-]{0,126}[A-Za-z0-9])?$/,
    "tool names are letters, digits, and _ . : - only, start and end with a letter or digit, at most 128 characters (bash, Bash, github__create_issue)",
  );

const agentFields = {
  name: safeString({ max: 100, line: true, what: "a name for the agent" }).pipe(z.string().trim().min(1, "required: a name for the agent")),
  description: z.string().max(2000, "at most 2000 characters").default(""),
  model: z.string(req("a model id such as claude-sonnet-4-5")).trim().min(1, "required: a model id such as claude-sonnet-4-5").max(200),
  system_prompt: z.string().max(200_000, "at most 200000 characters").default(""),
  runtime_id: z.string().min(1).max(64).nullable().default(null),
  harness: z.string().trim().min(1).max(64).default("default"),
  tools: idList("tool").default([]),
  /** Tools whose calls wait for a person to allow or deny them (docs/approvals.md). */
  approval_required_tools: z
    .array(toolName)
    .max(100, "at most 100")
    .refine((l) => new Set(l).size === l.length, "each tool only once")
    .default([]),
  mcp_servers: z
    .array(
      z.object({
        name: z
          .string()
          .trim()
          .regex(/^[A-Za-z0-9_-]{1,64}$/, "letters, digits, - and _ only"),
        url: z.url({ protocol: /^https?$/, message: "must be an http(s) URL" }).max(2048, "at most 2048 characters"),
      }),
    )
    .max(50)
    .default([]),
  skill_ids: idList("skill id").default([]),
  rule_ids: idList("rule id").default([]),
  /** Agents this one may start as sub-agents (LAP's platform tools, docs/memory.md): the same team's. */
  subagent_ids: idList("sub-agent id")
    .refine((l) => new Set(l).size === l.length, "each agent only once")
    .default([]),
  /** false: its sessions do not get LAP's platform MCP server `lap` (memory, sub-agents, sessions, approval). */
  platform_tools: z.boolean({ error: "must be true or false" }).default(true),
  vault_keys: z
    .array(
      z
        .string()
        .trim()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "each vault key is a vault secret's name (an environment variable name)"),
    )
    .max(100, "at most 100")
    .default([]),
  /** Hosts the sandbox may reach through LAP's egress proxy; empty denies everything. */
  egress_allow_hosts: hostPatterns.default([]),
  environment: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "names must look like ENV_VARS"), z.string().max(10_000)).default({}),
  repo_url: z
    .url({ message: "must be a URL such as https://github.com/org/repo" })
    .max(2048, "at most 2048 characters")
    .nullable()
    .default(null),
  repo_branch: z.string().trim().min(1).max(200).nullable().default(null),
  max_runtime_minutes: z
    .number({ error: "must be a number of minutes" })
    .int("must be a whole number")
    .min(1, "at least 1")
    .max(24 * 60, "at most 1440")
    .default(30),
  idle_timeout_minutes: z
    .number({ error: "must be a number of minutes" })
    .int("must be a whole number")
    .min(1, "at least 1")
    .max(7 * 24 * 60)
    .default(60),
  /** false: LAP never writes titles for this agent's sessions (docs/sessions.md "Titles"). */
  generate_titles: z.boolean({ error: "must be true or false" }).default(true),
};

export const createAgentBody = z
  .object({
    ...agentFields,
    /** The team the agent belongs to: required for a member of several teams; admins default to Default. */
    team_id: z.string().trim().min(1).max(200).optional(),
  })
  .strict();
export type CreateAgentInput = z.input<typeof createAgentBody>;

/** PATCH: every field optional, no defaults (absent means unchanged). */
export const updateAgentBody = z
  .object(
    Object.fromEntries(
      Object.entries(agentFields).map(([k, v]) => [
        k,
        (v instanceof z.ZodDefault ? (v.unwrap() as z.ZodType) : (v as z.ZodType)).optional(),
      ]),
    ) as {
      [K in keyof typeof agentFields]: z.ZodOptional<(typeof agentFields)[K] extends z.ZodDefault<infer T> ? T : (typeof agentFields)[K]>;
    },
  )
  .strict();
export type UpdateAgentInput = z.input<typeof updateAgentBody>;

export const agentIdParams = z.object({ id: idString(64) });
export const listAgentsQuery = z.object({
  q: z.string().max(200).optional(),
  /** Only agents using this model (the dashboard lists them before a model is removed). */
  model: z.string().min(1).max(200).optional(),
  /** Only agents on this runtime. */
  runtime_id: z.string().min(1).max(64).optional(),
  limit: z.coerce
    .number({ error: "must be a number" })
    .int("must be a whole number")
    .min(1, "at least 1")
    .max(200, "at most 200")
    .default(50),
});

export const agentView = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  model: z.string(),
  system_prompt: z.string(),
  runtime_id: z.string().nullable(),
  harness: z.string(),
  tools: z.array(z.string()),
  approval_required_tools: z.array(z.string()),
  mcp_servers: z.array(z.object({ name: z.string(), url: z.string() })),
  skill_ids: z.array(z.string()),
  rule_ids: z.array(z.string()),
  subagent_ids: z.array(z.string()),
  platform_tools: z.boolean(),
  vault_keys: z.array(z.string()),
  egress_allow_hosts: z.array(z.string()),
  environment: z.record(z.string(), z.string()),
  repo_url: z.string().nullable(),
  repo_branch: z.string().nullable(),
  max_runtime_minutes: z.number(),
  idle_timeout_minutes: z.number(),
  generate_titles: z.boolean(),
  status: z.enum(["active", "paused"]),
  team_id: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type AgentView = z.infer<typeof agentView>;

/** An agent in the list, with the total cost of its gateway calls (USD, from the spend log; docs/sessions.md "Cost"). */
export const agentListItem = agentView.extend({ spend: z.number() });
