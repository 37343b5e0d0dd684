import { Command } from "commander";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ApiKeyView } from "../../server/auth/model";
import { AuthService } from "../../server/auth/service";
import type { Config } from "../../server/config/load";
import { migrate } from "../../server/db/migrate";
import { openDatabase } from "../../server/db/open";
import { configOrExit } from "./shared";

interface KeysClient {
  create(input: {
    label: string;
    role: "admin" | "user";
    expires_at?: string;
    user_id?: string;
    team_id?: string;
  }): Promise<{ key: ApiKeyView; token: string }>;
  list(): Promise<ApiKeyView[]>;
  revoke(id: string): Promise<ApiKeyView>;
  close(): Promise<void>;
}

const runningPid = (config: Config) => {
  const lock = join(config.dataDir, "pgdata.pid");
  if (config.dbMode !== "embedded" || !existsSync(lock)) return undefined;
  const pid = Number(readFileSync(lock, "utf8"));
  try {
    process.kill(pid, 0);
    return pid !== process.pid ? pid : undefined;
  } catch {
    return undefined;
  }
};

/** Embedded PGlite can be opened by one process only: while LAP runs, go through its API instead. */
async function keysClient(config: Config): Promise<KeysClient> {
  if (runningPid(config)) {
    const base = process.env.LAP_URL ?? `http://127.0.0.1:${config.env.PORT}`;
    const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${config.masterKey}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = (await res.json()) as T & { error?: { message: string } };
      if (!res.ok) throw new Error(json.error?.message ?? `HTTP ${res.status}`);
      return json;
    };
    return {
      create: (input) => call("POST", "/api/keys", input),
      // Every kind, as the offline path lists them (the dashboard's API keys page shows admin and user keys only).
      list: async () => (await call<{ data: ApiKeyView[] }>("GET", "/api/keys?kind=all")).data,
      revoke: (id) => call("DELETE", `/api/keys/${encodeURIComponent(id)}`),
      close: async () => {},
    };
  }
  const database = await openDatabase(config);
  await migrate(database);
  const auth = new AuthService({ database, masterKey: config.masterKey });
  return {
    create: (input) => auth.createKey(input),
    list: () => auth.listKeys(),
    revoke: (id) => auth.revokeKey(id),
    close: () => database.close(),
  };
}

async function withClient(fn: (c: KeysClient) => Promise<void>) {
  const client = await keysClient(configOrExit());
  try {
    await fn(client);
  } catch (err) {
    console.error(`Error: ${(err as Error).message}`);
    process.exitCode = 1;
  } finally {
    await client.close();
  }
}

export function keysCommand() {
  const keys = new Command("keys").description("Create, list and revoke API keys (works whether or not LAP is running)");
  keys
    .command("create")
    .description("Create an API key; the key is printed once and stored only as a hash")
    .requiredOption("-l, --label <label>", "what the key is for, e.g. ci or alice-laptop")
    .option("-r, --role <role>", "admin (everything) or user (what its user or team may: docs/security.md)", "user")
    .option("--user <id>", "a personal key acting as this user")
    .option("--team <id>", "a key for this team (a member of it), or a personal key narrowed to it")
    .option("--expires-at <iso>", "expiry as an ISO date-time, e.g. 2027-01-01T00:00:00Z")
    .option("--json", "print JSON")
    .action((opts: { label: string; role: "admin" | "user"; user?: string; team?: string; expiresAt?: string; json?: boolean }) =>
      withClient(async (c) => {
        const created = await c.create({
          label: opts.label,
          role: opts.role,
          expires_at: opts.expiresAt,
          user_id: opts.user,
          team_id: opts.team,
        });
        if (created.key.kind === "user" && !created.key.user_id && !created.key.team_id) {
          console.error(
            "Note: a user key with neither --user nor --team is in no team: it reaches the LLM gateway and /mcp, and sees no agents or sessions.",
          );
        }
        if (opts.json) return console.log(JSON.stringify(created, null, 2));
        console.log(
          `Created ${created.key.kind} key "${created.key.label}" (${created.key.id}).\nCopy it now, it is not shown again:\n\n    ${created.token}\n`,
        );
      }),
    );
  keys
    .command("list")
    .description("List API keys (never the keys themselves)")
    .option("--json", "print JSON")
    .action((opts: { json?: boolean }) =>
      withClient(async (c) => {
        const rows = await c.list();
        if (opts.json) return console.log(JSON.stringify(rows, null, 2));
        if (rows.length === 0) return console.log("No API keys yet. Create one with: lap keys create --label <name>");
        // kind: admin, user, gateway (virtual) or session (docs/security.md "Keys and what each kind may do")
        for (const k of rows) console.log(`${k.id}  ${k.prefix}…  ${k.kind.padEnd(7)}  ${k.status.padEnd(7)}  ${k.label}`);
      }),
    );
  keys
    .command("revoke")
    .description("Revoke an API key by id; it stops working at once on this process")
    .argument("<id>", "key id from `lap keys list`")
    .action((id: string) =>
      withClient(async (c) => {
        const k = await c.revoke(id);
        console.log(`Revoked "${k.label}" (${k.id}).`);
      }),
    );
  return keys;
}
