/**
 * Destinations a user writes into LAP's API are refused with a 400 naming the field when they are
 * visibly non-public (docs/security.md, "User-supplied URLs and hosts"), and nothing is stored:
 * agents' egress_allow_hosts and repo_url, vault secrets' hosts, and MCP URL templates that would
 * let a per-user variable choose the host. LAP_ALLOW_PRIVATE_HOSTS opens exactly what it names.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestApp, type TestApp } from "../../test/support/app";

let t: TestApp;
let allowing: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  allowing = await createTestApp({ LAP_ALLOW_PRIVATE_HOSTS: "10.0.0.0/8,git.internal,localhost:4000" });
}, 60_000);
afterAll(async () => {
  await t?.close();
  await allowing?.close();
});

const fields = (res: { body: { error?: { fields?: Array<{ field: string }> } } }) => res.body.error?.fields?.map((f) => f.field) ?? [];

describe("agents", () => {
  test("egress hosts naming loopback, private, link-local or local addresses are 400 naming the entry; nothing is stored", async () => {
    const before = (await t.json("GET", "/api/agents?limit=200")).body.data.length;
    for (const host of [
      "127.0.0.1",
      "127.1",
      "0x7f000001",
      "0.0.0.0",
      "localhost",
      "*.localhost",
      "169.254.169.254",
      "10.0.0.1:8080",
      "192.168.1.1",
      "100.64.0.1",
    ]) {
      const res = await t.json("POST", "/api/agents", {
        body: { name: `egress-${host}`, model: "m", egress_allow_hosts: ["pypi.org", host] },
      });
      expect([host, res.status, fields(res)]).toEqual([host, 400, ["egress_allow_hosts.1"]]);
      expect(res.body.error.message).toContain("LAP_ALLOW_PRIVATE_HOSTS");
    }
    expect((await t.json("GET", "/api/agents?limit=200")).body.data.length).toBe(before);
    const ok = await t.json("POST", "/api/agents", {
      body: { name: "egress-ok", model: "m", egress_allow_hosts: ["pypi.org", "*.pythonhosted.org", "api.example.com:8443", "8.8.8.8"] },
    });
    expect(ok.status).toBe(201);
    const patch = await t.json("PATCH", `/api/agents/${ok.body.id}`, { body: { egress_allow_hosts: ["169.254.169.254"] } });
    expect([patch.status, fields(patch)]).toEqual([400, ["egress_allow_hosts.0"]]);
    expect((await t.json("GET", `/api/agents/${ok.body.id}`)).body.egress_allow_hosts).toEqual([
      "pypi.org",
      "*.pythonhosted.org",
      "api.example.com:8443",
      "8.8.8.8",
    ]);
  });

  test("repo_url must be https to a host that is not visibly non-public; 400 names repo_url and nothing changes", async () => {
    const agent = await t.json("POST", "/api/agents", {
      body: { name: "repo-agent", model: "m", repo_url: "https://github.com/acme/app" },
    });
    expect(agent.status).toBe(201);
    for (const url of [
      "file:///etc/passwd",
      "ssh://git@github.com/acme/app.git",
      "git://github.com/acme/app",
      "http://github.com/acme/app",
      "https://127.1/x.git",
      "https://[::1]/x.git",
      "https://localhost/x.git",
      "https://169.254.169.254/latest",
    ]) {
      const res = await t.json("PATCH", `/api/agents/${agent.body.id}`, { body: { repo_url: url } });
      expect([url, res.status, fields(res)]).toEqual([url, 400, ["repo_url"]]);
    }
    expect((await t.json("GET", `/api/agents/${agent.body.id}`)).body.repo_url).toBe("https://github.com/acme/app");
  });

  test("what LAP_ALLOW_PRIVATE_HOSTS names is accepted, and only that", async () => {
    const ok = await allowing.json("POST", "/api/agents", {
      body: {
        name: "internal",
        model: "m",
        egress_allow_hosts: ["10.1.2.3:5432", "localhost:4000"],
        repo_url: "http://git.internal/acme/app.git",
      },
    });
    expect(ok.status).toBe(201);
    const bad = await allowing.json("POST", "/api/agents", {
      body: {
        name: "internal-2",
        model: "m",
        egress_allow_hosts: ["localhost:4001", "192.168.0.1"],
        repo_url: "http://other.internal/x.git",
      },
    });
    expect([bad.status, fields(bad)]).toEqual([400, ["egress_allow_hosts.0", "egress_allow_hosts.1", "repo_url"]]);
  });
});

describe("vault", () => {
  test("a secret's hosts go through the same check, on create and on update", async () => {
    for (const hosts of [["localhost"], ["api.github.com", "127.0.0.1"], ["10.0.0.1:443"]]) {
      const res = await t.json("POST", "/api/vault", { body: { name: "BOUND", value: "v-0123456789", hosts } });
      expect([hosts, res.status, fields(res)]).toEqual([hosts, 400, [`hosts.${hosts.length - 1}`]]);
    }
    const created = await t.json("POST", "/api/vault", {
      body: { name: "BOUND", value: "v-0123456789", hosts: ["api.github.com", "uploads.github.com:8443"] },
    });
    expect(created.status).toBe(201);
    const patch = await t.json("PATCH", `/api/vault/${created.body.id}`, { body: { hosts: ["169.254.169.254"] } });
    expect([patch.status, fields(patch)]).toEqual([400, ["hosts.0"]]);
    expect((await t.json("GET", `/api/vault/${created.body.id}`)).body.hosts).toEqual(["api.github.com", "uploads.github.com:8443"]);
    expect(
      (await allowing.json("POST", "/api/vault", { body: { name: "INTERNAL", value: "v-0123456789", hosts: ["10.0.0.1:443"] } })).status,
    ).toBe(201);
  });
});

describe("MCP URL templates", () => {
  test("a per-user variable in the scheme, host or port is refused at registration (400 naming url); in the path it is fine", async () => {
    for (const url of [
      "https://${TENANT}.example.com/mcp",
      "https://api.example.com:${PORT}/mcp",
      "https://user@${TENANT}/mcp",
      "${SCHEME}://api.example.com/mcp",
    ]) {
      const name = `tpl-${Math.random().toString(36).slice(2, 8)}`;
      const res = await t.json("POST", "/api/mcp/servers", {
        body: {
          name,
          transport: "streamable-http",
          url,
          variables: [
            { name: "TENANT", scope: "user" },
            { name: "PORT", scope: "user" },
            { name: "SCHEME", scope: "user" },
          ],
        },
      });
      expect([url, res.status, [...new Set(fields(res))]]).toEqual([url, 400, ["url"]]);
    }
    const inPath = await t.json("POST", "/api/mcp/servers", {
      body: {
        name: "tpl-path",
        transport: "streamable-http",
        url: "https://api.example.com/t/${TENANT}/mcp",
        variables: [{ name: "TENANT", scope: "user" }],
      },
    });
    expect(inPath.status).toBe(201);
    // An admin's own (instance) variable may choose the host.
    const instance = await t.json("POST", "/api/mcp/servers", {
      body: {
        name: "tpl-region",
        transport: "streamable-http",
        url: "https://${REGION}.api.example.com/mcp",
        variables: [{ name: "REGION", scope: "instance", value: "eu" }],
      },
    });
    expect(instance.status).toBe(201);
  });
});
