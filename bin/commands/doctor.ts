import { Command } from "commander";
import { existsSync } from "node:fs";
import { createDatabase } from "../../server/db/client";
import { checkBubblewrap } from "../../server/sandboxes/host/bwrap-check";
import { color, configOrExit } from "./shared";

interface Check {
  name: string;
  ok: boolean;
  required: boolean;
  detail: string;
  fix?: string;
}

const MIN_BUN = [1, 4, 0];
const versionAtLeast = (v: string, min: number[]) => {
  const parts = v.split(".").map(Number);
  for (let i = 0; i < min.length; i++) if ((parts[i] ?? 0) !== min[i]) return (parts[i] ?? 0) > min[i]!;
  return true;
};

async function run(cmd: string[]): Promise<{ ok: boolean; out: string }> {
  try {
    const proc = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    return { ok: code === 0, out: (out || err).trim() };
  } catch (e) {
    return { ok: false, out: (e as Error).message };
  }
}

export async function runChecks(env = process.env): Promise<Check[]> {
  const config = configOrExit(env);
  const checks: Check[] = [];
  checks.push({
    name: "Bun",
    ok: versionAtLeast(Bun.version, MIN_BUN),
    required: true,
    detail: `Bun ${Bun.version}`,
    fix: "Install Bun 1.4 or newer: npm install --prefix .tools bun@1.4 (npm start does this)",
  });

  if (config.env.DATABASE_URL) {
    const db = await createDatabase({ url: config.env.DATABASE_URL, max: 1 });
    const res = await Promise.race([
      db.query("select version() as v").then((r) => ({ ok: true, out: String((r[0] as { v: string }).v).split(",")[0]! })),
      new Promise<{ ok: false; out: string }>((r) => setTimeout(() => r({ ok: false, out: "no answer in 5 s" }), 5000)),
    ]).catch((e: Error) => ({ ok: false, out: e.message }));
    await db.close().catch(() => {});
    checks.push({ name: "Database", ok: res.ok, required: true, detail: res.ok ? `external: ${res.out}` : `external: ${res.out}`, fix: "Check DATABASE_URL: the server must accept connections (psql \"$DATABASE_URL\" -c 'select 1')" });
  } else {
    checks.push({ name: "Database", ok: true, required: true, detail: `embedded PGlite in ${config.dataDir}/pgdata (set DATABASE_URL for PostgreSQL)` });
  }

  // The probe local sandboxes run before they start (server/sandboxes/host/bwrap-check.ts), with the fix for
  // this place (host, container or pod). Required when sessions use local sandboxes (LAP_SANDBOX=local).
  const bwrap = checkBubblewrap({ env });
  checks.push({
    name: "bubblewrap",
    ok: bwrap.ok,
    required: config.env.LAP_SANDBOX === "local",
    detail: bwrap.ok ? `${bwrap.version} can create sandboxes` : bwrap.reason,
    fix: bwrap.ok ? undefined : bwrap.fix,
  });

  const chromiumPath = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
  const chromium = chromiumPath ? await run([chromiumPath, "--version"]) : { ok: false, out: "" };
  checks.push({
    name: "Chromium",
    ok: chromium.ok,
    required: false,
    detail: chromium.ok ? chromium.out : "not installed (only the dashboard tests need it)",
    fix: "sudo apt-get install -y chromium (npm test installs it when run as root)",
  });

  const port = config.env.PORT;
  let portFree = true;
  let portDetail = `${config.env.HOST}:${port} is free`;
  try {
    const s = Bun.serve({ port, hostname: config.env.HOST, fetch: () => new Response() });
    s.stop(true);
  } catch (e) {
    portFree = false;
    portDetail = `${config.env.HOST}:${port} is in use (${(e as Error).message})`;
  }
  checks.push({ name: "Port", ok: portFree, required: true, detail: portDetail, fix: `Stop what listens on ${port}, or set PORT` });
  return checks;
}

export function doctorCommand() {
  return new Command("doctor")
    .description("Check this machine: Bun version, database, bubblewrap, Chromium, the port; says how to fix each")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }) => {
      const checks = await runChecks();
      if (opts.json) console.log(JSON.stringify(checks, null, 2));
      else
        for (const c of checks) {
          const mark = c.ok ? color.green("✓") : c.required ? color.red("✗") : color.yellow("!");
          console.log(`${mark} ${c.name.padEnd(11)} ${c.detail}`);
          if (!c.ok && c.fix) console.log(`  ${" ".repeat(11)} fix: ${c.fix}`);
        }
      if (checks.some((c) => c.required && !c.ok)) process.exitCode = 1;
    });
}
