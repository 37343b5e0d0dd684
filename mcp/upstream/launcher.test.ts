import { afterAll, describe, expect, test } from "bun:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { EVERYTHING_JS, FILESYSTEM_JS, NODE } from "../../test/support/mcp";
import type { Logger } from "../../server/lib/logger";
import { runningAsRoot } from "../../server/sandboxes/host/sandbox-user";
import { UpstreamConnection } from "./connection";
import { bubblewrapLauncher, type StdioLauncher } from "./launcher";

/** The bubblewrap launcher with a real stdio server (server-filesystem allowed to read "/"). */
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const shared = mkdtempSync(join(tmpdir(), "lap-bwrap-"));
writeFileSync(join(shared, "visible.txt"), "bound in");
// The server runs as an unprivileged uid (never root): a bound path must be readable by it.
chmodSync(shared, 0o755);
const clients: Client[] = [];
afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {});
});

async function sandboxed(network = false) {
  const plan = await bubblewrapLauncher().plan({
    command: NODE,
    args: [FILESYSTEM_JS, "/"],
    env: { SECRET_FOR_SERVER: "s3" },
    bindPaths: [{ path: shared, writable: false }],
    network,
  });
  const client = new Client({ name: "t", version: "1" }, { capabilities: {} });
  await client.connect(new StdioClientTransport({ command: plan.command, args: plan.args, env: plan.env, stderr: "ignore" }));
  clients.push(client);
  return { client, plan };
}
const read = async (client: Client, path: string) => {
  const res = await client.callTool({ name: "read_text_file", arguments: { path } });
  return { error: Boolean(res.isError), text: JSON.stringify(res.content) };
};

describe("bubblewrap launcher", () => {
  test("the server sees bound paths and system dirs, not LAP's files", async () => {
    expect(existsSync(join(ROOT, "package.json"))).toBe(true);
    const { client } = await sandboxed();
    expect((await read(client, join(shared, "visible.txt"))).text).toContain("bound in");
    expect((await read(client, join(ROOT, "package.json"))).error).toBe(true);
    // Its own accounts, not the host's; no /etc/shadow at all.
    expect((await read(client, "/etc/passwd")).text).toContain("lap:x:1000:1000");
    expect((await read(client, "/etc/passwd")).text).not.toContain("daemon:");
    expect((await read(client, "/etc/shadow")).error).toBe(true);
  }, 30_000);

  test("clean environment, all namespaces unshared (the network's too, even with network: true)", async () => {
    const plan = await bubblewrapLauncher().plan({ command: NODE, args: [], env: { A: "1" }, bindPaths: [], network: false });
    expect(plan.args).toContain("--clearenv");
    expect(plan.args).toContain("--unshare-all");
    expect(plan.args).toContain("--die-with-parent");
    expect(plan.args).not.toContain("--share-net");
    expect(plan.args).not.toContain("HTTP_PROXY");
    expect(plan.release).toBeUndefined();
    expect(plan.env).toEqual({ PATH: "/usr/local/bin:/usr/bin:/bin" });
    const i = plan.args.indexOf("A");
    expect(plan.args.slice(i - 1, i + 2)).toEqual(["--setenv", "A", "1"]);
    // network: true is a proxy out of the jail's own namespace (launcher-network.test.ts), never the host's.
    const net = await bubblewrapLauncher().plan({ command: NODE, args: ["x"], env: {}, bindPaths: [], network: true });
    expect(net.args).toContain("--unshare-all");
    expect(net.args).not.toContain("--share-net");
    const p = net.args.indexOf("HTTPS_PROXY");
    expect(net.args.slice(p - 1, p + 2)).toEqual(["--setenv", "HTTPS_PROXY", "http://127.0.0.1:3128"]);
    expect(net.args.slice(-7)).toEqual(["/opt/lap/bin/bun", "/opt/lap/egress-bridge.ts", "3128", "/run/lap/egress.sock", "--", NODE, "x"]);
    await net.release!();
  });

  test("network: true: a real server talks MCP through the bridge inside, and its egress proxy goes when it does", async () => {
    const launcher = bubblewrapLauncher();
    let runDir = "";
    const spying: StdioLauncher = {
      name: "spy",
      async plan(spec) {
        const plan = await launcher.plan(spec);
        runDir = plan.args[plan.args.indexOf("/run/lap") - 1]!;
        return plan;
      },
    };
    const conn = new UpstreamConnection(
      {
        key: "everything",
        fingerprint: "f",
        serverId: "s1",
        serverName: "everything",
        timeoutMs: 20_000,
        connectTimeoutMs: 20_000,
        transport: "stdio",
        stdio: { name: "everything", command: NODE, args: [EVERYTHING_JS, "stdio"], env: {}, bindPaths: [], network: true },
      },
      spying,
    );
    const tools = await conn.listTools();
    expect(tools.map((t) => t.name)).toContain("echo");
    expect(existsSync(join(runDir, "egress.sock"))).toBe(true);
    await conn.close();
    for (let i = 0; i < 100 && existsSync(runDir); i++) await Bun.sleep(50);
    expect(existsSync(runDir)).toBe(false);
  }, 60_000);

  test.skipIf(!runningAsRoot())("LAP as root: a bound path the server's uid cannot read is named in a warning", async () => {
    const closed = mkdtempSync(join(tmpdir(), "lap-bwrap-closed-")); // 0700, root's
    const warnings: Array<{ path: string; uid: number }> = [];
    const logger = { warn: (o: { path: string; uid: number }) => warnings.push(o) } as unknown as Logger;
    await bubblewrapLauncher({ logger }).plan({
      command: NODE,
      args: [],
      env: {},
      bindPaths: [
        { path: closed, writable: false },
        { path: shared, writable: false },
      ],
      network: false,
    });
    expect(warnings.map((w) => w.path)).toEqual([closed]);
    expect(warnings[0]!.uid).toBeGreaterThan(0);
  });
});
