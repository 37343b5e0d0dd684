import { Command } from "commander";
import { existsSync } from "node:fs";
import { checkDatabase } from "./doctor-database";
import { checkBubblewrap } from "../../server/sandboxes/host/preflight";
import { parseUidRange, runningAsRoot, SandboxUsers } from "../../server/sandboxes/host/sandbox-user";
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

  checks.push({ name: "Database", required: true, ...(await checkDatabase(config, env)) });

  // The same check the local provider and the stdio MCP launcher make before their first sandbox
  // (bubblewrap in a user namespace as a non-root uid, capabilities dropped, the seccomp filter), with
  // the fix for where LAP runs (host, container, pod). Required when sessions use local sandboxes.
  const sandboxUser = new SandboxUsers(parseUidRange(config.env.LAP_SANDBOX_UIDS)).forProbe();
  const bwrap = checkBubblewrap({ user: sandboxUser, env });
  checks.push({
    name: "bubblewrap",
    ok: bwrap.ok,
    required: config.env.LAP_SANDBOX === "local",
    detail: bwrap.ok
      ? `${bwrap.version} can create sandboxes as ${runningAsRoot() ? `uid ${sandboxUser?.uid} (LAP_SANDBOX_UIDS; never root)` : "LAP's own uid"} in a user namespace`
      : bwrap.problem === "missing"
        ? "not installed"
        : bwrap.reason,
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
