import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestApp, type TestApp } from "../../test/support/app";
import { MissingVaultSecrets } from "./service";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
}, 60_000);
afterAll(async () => {
  await t?.close();
});

const REAL = "ghp_vault_test_value_9f3c1a2b";

describe("vault API", () => {
  test("a value is sealed at rest and never returned; the list shows a hint, hosts and the agents using it", async () => {
    const created = await t.json("POST", "/api/vault", {
      body: { name: "GITHUB_TOKEN", value: REAL, hosts: ["api.github.com", "*.GitHub.com"], description: "bot account" },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: "GITHUB_TOKEN",
      hosts: ["api.github.com", "*.github.com"],
      description: "bot account",
      value_hint: "••••1a2b",
      agents: [],
      last_used_at: null,
    });
    expect(JSON.stringify(created.body)).not.toContain(REAL);
    const [row] = await t.database.query<{ value_sealed: string }>("select value_sealed from vault_secrets where id = $1", [
      created.body.id,
    ]);
    expect(row!.value_sealed).toStartWith("v1.");
    expect(row!.value_sealed).not.toContain(REAL);

    const agent = await t.json("POST", "/api/agents", {
      body: { name: "uses-github", model: "m", vault_keys: ["GITHUB_TOKEN"], egress_allow_hosts: ["pypi.org"] },
    });
    expect(agent.status).toBe(201);
    expect(agent.body).toMatchObject({ vault_keys: ["GITHUB_TOKEN"], egress_allow_hosts: ["pypi.org"] });
    const list = await t.json("GET", "/api/vault");
    expect(list.body.data).toEqual([
      expect.objectContaining({ name: "GITHUB_TOKEN", agents: [{ id: agent.body.id, name: "uses-github" }] }),
    ]);
    expect(JSON.stringify(list.body)).not.toContain(REAL);
    expect(JSON.stringify((await t.json("GET", `/api/vault/${created.body.id}`)).body)).not.toContain(REAL);

    // Still in use: deleting would break the agent's next sandbox.
    const refused = await t.json("DELETE", `/api/vault/${created.body.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain("uses-github");
    await t.json("PATCH", `/api/agents/${agent.body.id}`, { body: { vault_keys: [] } });
    expect((await t.json("DELETE", `/api/vault/${created.body.id}`)).status).toBe(200);
    expect((await t.json("GET", `/api/vault/${created.body.id}`)).status).toBe(404);
  });

  test("rotate replaces the sealed value; changing hosts alone keeps it; resolve gives the current value", async () => {
    const s = await t.json("POST", "/api/vault", { body: { name: "ROTATE_ME", value: "first-value-0000", hosts: ["a.example.com"] } });
    const before = (await t.services.vault.resolve(["ROTATE_ME"], null))[0]!;
    expect(before).toEqual({ name: "ROTATE_ME", value: "first-value-0000", hosts: ["a.example.com"] });
    const hostsOnly = await t.json("PATCH", `/api/vault/${s.body.id}`, { body: { hosts: ["b.example.com"] } });
    expect(hostsOnly.body.rotated_at).toBe(s.body.rotated_at);
    expect((await t.services.vault.resolve(["ROTATE_ME"], null))[0]!.value).toBe("first-value-0000");
    const rotated = await t.json("PATCH", `/api/vault/${s.body.id}`, { body: { value: "second-value-1111" } });
    expect(rotated.status).toBe(200);
    expect(rotated.body.value_hint).toBe("••••1111");
    expect(rotated.body.rotated_at > s.body.rotated_at).toBe(true);
    expect(await t.services.vault.resolve(["ROTATE_ME"], null)).toEqual([
      { name: "ROTATE_ME", value: "second-value-1111", hosts: ["b.example.com"] },
    ]);
  });

  test("short values show no characters in the hint", async () => {
    const s = await t.json("POST", "/api/vault", { body: { name: "SHORT", value: "abc123", hosts: ["x.example.com"] } });
    expect(s.body.value_hint).toBe("••••");
  });

  test("resolve names every missing secret; last use is recorded and only moves forward", async () => {
    await t.json("POST", "/api/vault", { body: { name: "USED_ONE", value: "used-one-value-xyz", hosts: ["u.example.com"] } });
    const err = await t.services.vault.resolve(["USED_ONE", "NOPE_A", "NOPE_B"], null).catch((e) => e);
    expect(err).toBeInstanceOf(MissingVaultSecrets);
    expect((err as Error).message).toContain("NOPE_A, NOPE_B");
    await t.services.vault.markUsed([{ name: "USED_ONE", at: new Date("2030-01-02T00:00:00Z") }]);
    await t.services.vault.markUsed([{ name: "USED_ONE", at: new Date("2030-01-01T00:00:00Z") }]);
    const used = (await t.json("GET", "/api/vault")).body.data.find((s: { name: string }) => s.name === "USED_ONE");
    expect(used.last_used_at).toBe("2030-01-02T00:00:00.000Z");
  });

  test("bad input is a 400 naming the field and nothing is stored; a duplicate name is 409", async () => {
    const before = (await t.json("GET", "/api/vault")).body.data.length;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ value: "v", hosts: ["a.com"] }, "name"],
      [{ name: "1BAD", value: "v", hosts: ["a.com"] }, "name"],
      [{ name: "HAS-DASH", value: "v", hosts: ["a.com"] }, "name"],
      [{ name: "HTTPS_PROXY", value: "v", hosts: ["a.com"] }, "name"],
      [{ name: "LAP_SUPERVISOR_TOKEN_FILE", value: "v", hosts: ["a.com"] }, "name"],
      [{ name: "OK_NAME", hosts: ["a.com"] }, "value"],
      [{ name: "OK_NAME", value: "", hosts: ["a.com"] }, "value"],
      [{ name: "OK_NAME", value: "v" }, "hosts"],
      [{ name: "OK_NAME", value: "v", hosts: [] }, "hosts"],
      [{ name: "OK_NAME", value: "v", hosts: ["https://a.com/path"] }, "hosts.0"],
      [{ name: "OK_NAME", value: "v", hosts: ["a.com:0"] }, "hosts.0"],
      [{ name: "OK_NAME", value: "v", hosts: ["a.com:65536"] }, "hosts.0"],
      [{ name: "OK_NAME", value: "v", hosts: ["localhost"] }, "hosts.0"],
      [{ name: "OK_NAME", value: "v", hosts: ["a.com", "169.254.169.254"] }, "hosts.1"],
      [{ name: "OK_NAME", value: "v", hosts: ["*"] }, "hosts.0"],
      [{ name: "OK_NAME", value: "v", hosts: ["a.com"], extra: 1 }, "extra"],
    ];
    for (const [body, field] of cases) {
      const res = await t.json("POST", "/api/vault", { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.fields.map((f: { field: string }) => f.field)).toContain(field);
    }
    expect((await t.json("GET", "/api/vault")).body.data.length).toBe(before);

    const s = await t.json("POST", "/api/vault", { body: { name: "DUP", value: "one", hosts: ["a.com"] } });
    const dup = await t.json("POST", "/api/vault", { body: { name: "DUP", value: "two", hosts: ["a.com"] } });
    expect(dup.status).toBe(409);
    expect((await t.services.vault.resolve(["DUP"], null))[0]!.value).toBe("one");

    for (const [body, field] of [
      [{ hosts: [] }, "hosts"],
      [{ value: "" }, "value"],
      [{ name: "RENAMED" }, "name"],
    ] as const) {
      const res = await t.json("PATCH", `/api/vault/${s.body.id}`, { body });
      expect(res.status).toBe(400);
      expect(res.body.error.fields.map((f: { field: string }) => f.field)).toContain(field);
    }
    expect((await t.json("PATCH", "/api/vault/vlt_nope", { body: { hosts: ["a.com"] } })).status).toBe(404);
  });

  test("agents: egress hosts and vault keys are validated", async () => {
    const bad = await t.json("POST", "/api/agents", { body: { name: "bad-egress", model: "m", egress_allow_hosts: ["http://x.com"] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.map((f: { field: string }) => f.field)).toContain("egress_allow_hosts.0");
    const badKey = await t.json("POST", "/api/agents", { body: { name: "bad-key", model: "m", vault_keys: ["not a name"] } });
    expect(badKey.status).toBe(400);
    expect(badKey.body.error.fields.map((f: { field: string }) => f.field)).toContain("vault_keys.0");
    const none = await t.json("POST", "/api/agents", { body: { name: "default-egress", model: "m" } });
    expect(none.body.egress_allow_hosts).toEqual([]);
  });

  test("needs a key; a user key in no team may not add one, nor change an org-wide one", async () => {
    expect((await t.json("GET", "/api/vault", { key: null })).status).toBe(401);
    const { body } = await t.json("POST", "/api/keys", { body: { label: "user key", role: "user" } });
    const before = await t.database.query("select id from vault_secrets order by id");
    expect((await t.json("POST", "/api/vault", { key: body.token, body: { name: "X", value: "v", hosts: ["a.com"] } })).status).toBe(403);
    const orgWide = (await t.json("GET", "/api/vault", { key: body.token })).body.data[0];
    expect(JSON.stringify(orgWide)).not.toContain('value":');
    const refused = await t.json("PATCH", `/api/vault/${orgWide.id}`, { key: body.token, body: { value: "hijacked-value" } });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain("org-wide");
    expect((await t.json("DELETE", `/api/vault/${orgWide.id}`, { key: body.token })).status).toBe(403);
    expect(await t.database.query("select id from vault_secrets order by id")).toEqual(before);
  });
});
