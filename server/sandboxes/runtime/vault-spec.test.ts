/**
 * How an agent's vault keys and egress allow-list become its sandbox spec (SandboxService.specForAgent),
 * and that warm sandboxes carry them: the hash covers secret names, hosts and value (not the random
 * stubs), so a rotation recycles warm sandboxes; a warm sandbox's policy stays registered while it lives.
 * Real database, real bubblewrap sandboxes for the warm pool.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { MissingVaultSecrets } from "../../vault/service";
import { EgressPolicies } from "../egress/policy";

let t: TestApp;
let agentId: string;
let secretId: string;
beforeAll(async () => {
  t = await createTestApp({ WARM_POOL_SIZE: "1" });
  secretId = (
    await t.json("POST", "/api/vault", { body: { name: "API_TOKEN", value: "real-token-value-0001", hosts: ["api.example.com"] } })
  ).body.id;
  agentId = (
    await t.json("POST", "/api/agents", {
      body: {
        name: "spec-agent",
        model: "m",
        harness: "builtin",
        vault_keys: ["API_TOKEN"],
        egress_allow_hosts: ["pypi.org", "*.pythonhosted.org"],
        environment: { PLAIN: "yes" },
      },
    })
  ).body.id;
  await t.database.query(`insert into sessions (id, agent_id) values ('ses_spec', $1)`, [agentId]);
}, 60_000);
afterAll(async () => {
  await t.services.sandboxes.shutdown();
  await t.close();
});

describe("an agent's sandbox spec", () => {
  test("has the stub in env, the real value only in LAP's policy, and allow-list plus bound hosts; the hash ignores the stub", async () => {
    const s = t.services.sandboxes;
    const a = (await s.specForAgent(agentId))!;
    const b = (await s.specForAgent(agentId))!;
    expect(a.spec.env.PLAIN).toBe("yes");
    expect(a.spec.env.API_TOKEN).toMatch(/^stub_api_token_[0-9a-f]{12}$/);
    expect(b.spec.env.API_TOKEN).not.toBe(a.spec.env.API_TOKEN);
    expect(JSON.stringify(a.spec)).not.toContain("real-token-value-0001");
    expect(a.spec.egressAllowHosts!.sort()).toEqual(["*.pythonhosted.org", "api.example.com", "pypi.org"]);
    const policy = s.policies.get(a.spec.labels!.egress_policy!);
    expect(policy.stubs).toEqual([
      { stub: a.spec.env.API_TOKEN!, name: "API_TOKEN", real: "real-token-value-0001", hosts: ["api.example.com"] },
    ]);
    expect(b.hash).toBe(a.hash);

    await t.json("PATCH", `/api/vault/${secretId}`, { body: { value: "real-token-value-0002" } });
    const rotated = (await s.specForAgent(agentId))!;
    expect(rotated.hash).not.toBe(a.hash);
    await t.json("PATCH", `/api/vault/${secretId}`, { body: { hosts: ["api.example.com", "uploads.example.com"] } });
    const rehosted = (await s.specForAgent(agentId))!;
    expect(rehosted.hash).not.toBe(rotated.hash);
    await t.json("PATCH", `/api/agents/${agentId}`, { body: { egress_allow_hosts: ["pypi.org"] } });
    expect((await s.specForAgent(agentId))!.hash).not.toBe(rehosted.hash);
  });

  test("a vault key with no secret throws naming only the missing one", async () => {
    const broken = (
      await t.json("POST", "/api/agents", { body: { name: "broken-agent", model: "m", vault_keys: ["API_TOKEN", "GONE_TOKEN"] } })
    ).body.id;
    const err = await t.services.sandboxes.specForAgent(broken).catch((e) => e);
    expect(err).toBeInstanceOf(MissingVaultSecrets);
    expect((err as Error).message).toContain("GONE_TOKEN");
    expect((err as Error).message).not.toContain("API_TOKEN,");
    await t.database.query(`delete from agents where id = $1`, [broken]);
  });

  test("a warm sandbox carries the agent's policy and is claimable with the current hash; a rotation recycles it and drops its policy", async () => {
    const s = t.services.sandboxes;
    const pool = s.pool();
    await pool.topUp();
    const [slot] = await t.database.query<{ sandbox_id: string; spec_hash: string }>(
      `select sandbox_id, spec_hash from sandboxes where agent_id = $1 and status = 'warm'`,
      [agentId],
    );
    expect(slot).toBeDefined();
    const handle = (await s.provider().get(slot!.sandbox_id))!;
    const policyId = handle.labels.egress_policy!;
    expect(s.policies.get(policyId).stubs.map((r) => [r.name, r.real])).toEqual([["API_TOKEN", "real-token-value-0002"]]);
    const current = (await s.specForAgent(agentId))!;
    expect(slot!.spec_hash).toBe(current.hash);

    await t.json("PATCH", `/api/vault/${secretId}`, { body: { value: "real-token-value-0003" } });
    expect(await pool.recycle()).toBe(1);
    // The recycled sandbox's proxy closed: its real value is no longer held for it.
    await Bun.sleep(200);
    expect(s.policies.get(policyId).stubs).toEqual([]);
    // The next warm sandbox has the new value, and the runtime (same hash) can claim it.
    await pool.topUp();
    const fresh = (await s.specForAgent(agentId))!;
    const claimed = await pool.claim(agentId, fresh.hash, "ses_spec");
    expect(claimed).not.toBeNull();
    const claimedPolicy = (await s.provider().get(claimed!.sandboxId))!.labels.egress_policy!;
    expect(s.policies.get(claimedPolicy).stubs[0]!.real).toBe("real-token-value-0003");
  }, 60_000);
});

describe("EgressPolicies", () => {
  test("policies no sandbox attached are swept; attached ones stay until deleted", async () => {
    const p = new EgressPolicies(10);
    p.set("kept", { allowHosts: ["a.com"], stubs: [] });
    p.attach("kept");
    p.set("orphan", { allowHosts: ["b.com"], stubs: [] });
    await Bun.sleep(20);
    p.set("new", { allowHosts: [], stubs: [] });
    expect(p.get("orphan").allowHosts).toEqual([]);
    expect(p.get("kept").allowHosts).toEqual(["a.com"]);
    p.delete("kept");
    expect(p.get("kept").allowHosts).toEqual([]);
    expect(p.size).toBe(1);
  });
});
