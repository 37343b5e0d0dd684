/**
 * Per-user variables in a stdio server's arguments and environment (docs/mcp.md, "Variables in stdio
 * servers"; docs/security.md): a user's value is data, never an option of the admin's command and
 * never code. Before this, a value was substituted raw: `${ENTRY}` given `--eval=<code>` made node run
 * the user's code on the host (with the process launcher) or in the jail. The real server-everything
 * over stdio (process launcher, so the test sees what the process did), and real MCP clients.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestApp, type TestApp } from "../test/support/app";
import { EVERYTHING_JS, lapClient, NODE } from "../test/support/mcp";

let t: TestApp;
let alice: string;
const clients: Array<{ close(): Promise<void> }> = [];
const marker = join(mkdtempSync(join(tmpdir(), "lap-argv-")), "pwned");

beforeAll(async () => {
  t = await createTestApp({ LAP_MCP_STDIO_LAUNCHER: "process" });
  alice = (await t.json("POST", "/api/keys", { body: { label: "alice", role: "user", metadata: { user_id: "alice" } } })).body.token;
}, 60_000);

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await t?.close();
});

async function register(body: Record<string, unknown>) {
  const res = await t.json("POST", "/api/mcp/servers", { body });
  expect(res.status).toBe(201);
  await t.json("POST", "/api/mcp/grants", { body: { server_id: res.body.id, subject_type: "user", subject_id: "alice" } });
  return res.body.id as string;
}

const setVariables = (id: string, variables: Record<string, string>) =>
  t.json("PUT", `/api/mcp/servers/${id}/credentials`, { key: alice, body: { variables } });

async function aliceClient(server: string) {
  const c = await lapClient(t.app, `/mcp/${server}`, alice);
  clients.push(c.client);
  return c.client;
}

describe("per-user values in stdio arguments", () => {
  test("a value that would be an option of the admin's command is refused at call time and nothing runs; a path is data", async () => {
    // The admin meant ENTRY to name a script; node reads a leading "--eval=" as an option.
    const id = await register({
      name: "entry",
      transport: "stdio",
      command: NODE,
      args: ["${ENTRY}", "stdio"],
      variables: [{ name: "ENTRY", scope: "user" }],
    });
    const code = `--eval=require("fs").writeFileSync(${JSON.stringify(marker)}, "x")`;
    expect((await setVariables(id, { ENTRY: code })).status).toBe(200);
    await expect((await aliceClient("entry")).listTools()).rejects.toThrow(/per-user variable ENTRY would make argument 1 an option/);
    await Bun.sleep(500);
    expect(existsSync(marker)).toBe(false);
    expect(t.services.mcp.gateway.pool.ofServer(id)).toHaveLength(0);

    // Positive control: the same template with a path works.
    expect((await setVariables(id, { ENTRY: EVERYTHING_JS })).status).toBe(200);
    await Bun.sleep(2_100); // user credentials are cached for 2 s
    const tools = await (await aliceClient("entry")).listTools();
    expect(tools.tools.map((x) => x.name)).toContain("echo");
  }, 60_000);

  test("after the admin's own option (--x=${V}) a leading dash stays that option's value", async () => {
    const id = await register({
      name: "optval",
      transport: "stdio",
      command: NODE,
      args: [EVERYTHING_JS, "stdio", "--tenant=${T}"],
      variables: [{ name: "T", scope: "user" }],
    });
    expect((await setVariables(id, { T: "-x y" })).status).toBe(200);
    const tools = await (await aliceClient("optval")).listTools();
    expect(tools.tools.length).toBeGreaterThan(0);
  }, 60_000);

  test("in env a value is passed as it is, leading dash and spaces included", async () => {
    const id = await register({
      name: "envval",
      transport: "stdio",
      command: NODE,
      args: [EVERYTHING_JS, "stdio"],
      env: { TENANT: "${T}" },
      variables: [{ name: "T", scope: "user" }],
    });
    expect((await setVariables(id, { T: "--config=/etc/x; rm -rf /" })).status).toBe(200);
    const res = await (await aliceClient("envval")).callTool({ name: "get-env", arguments: {} });
    const env = JSON.parse((res.content as Array<{ text: string }>)[0]!.text) as Record<string, string>;
    expect(env.TENANT).toBe("--config=/etc/x; rm -rf /");
  }, 60_000);
});

describe("what a user may store", () => {
  test("NUL, line breaks, other control characters and over-long values are 400 naming the variable; nothing is stored", async () => {
    const id = await register({
      name: "caps",
      transport: "stdio",
      command: NODE,
      args: [EVERYTHING_JS, "stdio"],
      env: { V: "${V}" },
      variables: [{ name: "V", scope: "user" }],
    });
    for (const bad of ["a\u0000b", "a\nb", "a\rb", "a\tb", "x".repeat(4097)]) {
      const res = await setVariables(id, { V: bad });
      expect(res.status).toBe(400);
      expect(res.body.error.fields.map((f: { field: string }) => f.field)).toEqual(["variables.V"]);
    }
    expect(await t.services.mcp.gateway.userSecrets(id, "alice")).toBeNull();
    expect((await setVariables(id, { V: "x".repeat(4096) })).status).toBe(200);
  });

  test("a value stored before these checks (a line break) is refused at call time, naming the variable", async () => {
    const id = await register({
      name: "legacy",
      transport: "stdio",
      command: NODE,
      args: [EVERYTHING_JS, "stdio"],
      env: { V: "${V}" },
      variables: [{ name: "V", scope: "user" }],
    });
    await t.services.mcp.gateway.saveUserSecrets(id, "alice", { variables: { V: "line1\nINJECTED=1" } });
    await expect((await aliceClient("legacy")).listTools()).rejects.toThrow(/per-user variable V holds a control character/);
    expect(t.services.mcp.gateway.pool.ofServer(id)).toHaveLength(0);
  }, 60_000);
});

describe("registration", () => {
  test("a per-user variable in a shell's arguments or an interpreter's code is 400 naming the argument; nothing is stored", async () => {
    const cases: Array<{ command: string; args: string[]; field: string }> = [
      { command: "/bin/sh", args: ["-c", "tool --tenant ${T}"], field: "args.1" },
      { command: "bash", args: ["-lc", "echo ${T}"], field: "args.1" },
      { command: NODE, args: ["-e", "run('${T}')"], field: "args.1" },
      { command: "python3", args: ["-c", "print('${T}')"], field: "args.1" },
      { command: NODE, args: ["--eval=${T}"], field: "args.0" },
    ];
    const before = (await t.json("GET", "/api/mcp/servers")).body.data.length;
    for (const [i, c] of cases.entries()) {
      const res = await t.json("POST", "/api/mcp/servers", {
        body: { name: `code-${i}`, transport: "stdio", command: c.command, args: c.args, variables: [{ name: "T", scope: "user" }] },
      });
      expect({ i, status: res.status }).toEqual({ i, status: 400 });
      expect(res.body.error.fields.map((f: { field: string }) => f.field)).toEqual([c.field]);
    }
    expect((await t.json("GET", "/api/mcp/servers")).body.data.length).toBe(before);
    // The same value through env is fine; an instance (admin) variable in a script is the admin's own.
    expect(
      (
        await t.json("POST", "/api/mcp/servers", {
          body: {
            name: "code-env",
            transport: "stdio",
            command: "/bin/sh",
            args: ["-c", 'tool --tenant "$T"'],
            env: { T: "${T}" },
            variables: [{ name: "T", scope: "user" }],
          },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await t.json("POST", "/api/mcp/servers", {
          body: {
            name: "code-admin",
            transport: "stdio",
            command: "/bin/sh",
            args: ["-c", "tool ${I}"],
            variables: [{ name: "I", scope: "instance", value: "x" }],
          },
        })
      ).status,
    ).toBe(201);
  });
});
