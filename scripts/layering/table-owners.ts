/**
 * Each table has one owning module (docs/development.md "Layers"): only the owner writes it, and the
 * lower features (runtimes, sandboxes) read no other module's table; they get a port from
 * server/app.ts. Read from the source: raw SQL (`insert into t`, `update t`, `delete from t`, `from t`,
 * `join t`) and drizzle calls (`.insert(t)`, `.update(t)`, `.delete(t)`, `.from(t)`, `…Join(t)`).
 * A known exception is listed in TABLE_EXCEPTIONS with its reason.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";

/** Table → the folder of the module that owns it. */
export const TABLE_OWNERS: Record<string, string> = {
  agents: "server/agents/",
  agent_files: "server/files/",
  api_keys: "server/auth/",
  dashboard_sessions: "server/auth/",
  oidc_flows: "server/auth/",
  approvals: "server/approvals/",
  audit_log: "server/audit/",
  gateway_keys: "server/gateway/",
  gateway_models: "server/gateway/",
  gateway_model_checks: "server/gateway/",
  gateway_spend_logs: "server/gateway/",
  linear_installations: "server/linear/",
  linear_oauth_states: "server/linear/",
  linear_bindings: "server/linear/",
  linear_agent_sessions: "server/linear/",
  linear_events: "server/linear/",
  mcp_servers: "mcp/",
  mcp_grants: "mcp/",
  mcp_user_credentials: "mcp/",
  mcp_oauth_flows: "mcp/",
  mcp_tool_calls: "mcp/",
  agent_memory: "server/memory/",
  agent_memory_versions: "server/memory/",
  runtimes: "server/runtimes/",
  runtime_agents: "server/runtimes/",
  sandboxes: "server/sandboxes/",
  egress_records: "server/sandboxes/",
  schedules: "server/schedules/",
  schedule_runs: "server/schedules/",
  sessions: "server/sessions/",
  session_events: "server/sessions/",
  session_turns: "server/sessions/",
  session_attachments: "server/sessions/",
  skills: "server/skills/",
  skill_versions: "server/skills/",
  rules: "server/skills/",
  rule_versions: "server/skills/",
  slack_installations: "slack/",
  slack_oauth_states: "slack/",
  slack_bindings: "slack/",
  slack_dm_allowlist: "slack/",
  slack_threads: "slack/",
  slack_events: "slack/",
  slack_seen_requests: "slack/",
  users: "server/users/",
  invitations: "server/users/",
  teams: "server/teams/",
  team_members: "server/teams/",
  triggers: "server/triggers/",
  trigger_deliveries: "server/triggers/",
  vault_secrets: "server/vault/",
};

/** Features that read no other module's table (they sit below sessions and agents). */
export const READ_CHECKED = ["server/runtimes/", "server/sandboxes/"];

/** Known exceptions: a file, a table, what it does there, and why that is not a port (yet). */
export const TABLE_EXCEPTIONS: Array<{ file: string; table: string; access: "read" | "write"; why: string }> = [
  {
    file: "server/gateway/service.ts",
    table: "sessions",
    access: "write",
    why: "charged_to_parent is the gateway's ledger of a sub-agent's spend, locked in the gateway's own transaction",
  },
  {
    file: "server/gateway/keys/service.ts",
    table: "api_keys",
    access: "write",
    why: "a gateway key is an api_keys row plus its gateway_keys row, written in one transaction",
  },
  { file: "server/users/service.ts", table: "team_members", access: "write", why: "a user is created or invited with its memberships" },
  { file: "server/backup/restore.ts", table: "audit_log", access: "write", why: "a restore records itself in the restored trail" },
];

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (/\.tsx?$/.test(entry.name) && !/\.(test|spec)\.tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts")) yield path;
  }
}

/** Each table a file touches, with how; `symbols` maps drizzle table variables to table names. */
export function tableAccess(source: string, symbols: Map<string, string>): Array<{ table: string; access: "read" | "write" }> {
  const found = new Map<string, "read" | "write">();
  const note = (table: string | undefined, access: "read" | "write") => {
    if (table && (access === "write" || !found.has(table))) found.set(table, access);
  };
  const known = new Set(Object.keys(TABLE_OWNERS));
  const named = (t: string | undefined) => (t && known.has(t) ? t : undefined);
  for (const m of source.matchAll(/\b(?:insert\s+into|update|delete\s+from)\s+([a-z_]+)\b/gi)) note(named(m[1]), "write");
  for (const m of source.matchAll(/\.(?:insert|update|delete)\(\s*([\w$]+)\s*\)/g)) note(symbols.get(m[1]!), "write");
  for (const m of source.matchAll(/\b(?:from|join)\s+([a-z_]+)\b/gi)) note(named(m[1]), "read");
  for (const m of source.matchAll(/\.(?:from|innerJoin|leftJoin|rightJoin|fullJoin)\(\s*([\w$]+)\s*\)/g)) note(symbols.get(m[1]!), "read");
  return [...found].map(([table, access]) => ({ table, access }));
}

const owns = (file: string, table: string) => file.startsWith(TABLE_OWNERS[table] ?? "\u0000");

/** Each access to a table by a module that does not own it, and is not a listed exception, as one line. */
export function tableViolations(root: string, folders: string[], symbols: Map<string, string>): string[] {
  const found: string[] = [];
  for (const folder of folders.filter((f) => existsSync(join(root, f)))) {
    for (const path of sourceFiles(join(root, folder))) {
      const file = relative(root, path).split(sep).join("/");
      // The composition root and the migrations' schema are no module.
      if (file === "server/app.ts" || file.startsWith("schema/")) continue;
      for (const { table, access } of tableAccess(readFileSync(path, "utf8"), symbols)) {
        if (owns(file, table)) continue;
        if (access === "read" && !READ_CHECKED.some((p) => file.startsWith(p))) continue;
        if (TABLE_EXCEPTIONS.some((e) => e.file === file && e.table === table && (e.access === access || e.access === "write"))) continue;
        found.push(`${file} ${access === "write" ? "writes" : "reads"} ${table}, owned by ${TABLE_OWNERS[table]}`);
      }
    }
  }
  return found;
}
