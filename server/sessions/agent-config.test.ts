/**
 * What a remote Managed Agents runtime receives of an agent's configuration, through the real API
 * and adapter against the fake runtime: environment variables in the environment's `config.env`,
 * the repository as a `github_repository` session resource, skill/rule ids and vault key names in
 * the agent's metadata. Changing any of them makes the next session create a new remote agent and
 * environment; an unchanged agent reuses them.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sessionHarness, type SessionHarness } from "../../test/support/session-harness";

let h: SessionHarness;
/** Skills and rules must exist in the agent's team (docs/skills.md): made first, then attached. */
const ids = { review: "", tests: "", noForcePush: "" };
const skillMd = (name: string) => `---\nname: ${name}\ndescription: ${name} things\n---\nDo ${name}.\n`;
beforeAll(async () => {
  h = await sessionHarness({
    agent: {
      environment: { NODE_ENV: "production", FEATURE_FLAG: "on" },
      repo_url: "https://github.com/acme/widgets",
      repo_branch: "develop",
      vault_keys: ["GITHUB_TOKEN"],
    },
  });
  ids.review = (await h.t.json("POST", "/api/skills", { body: { skill_md: skillMd("review") } })).body.id;
  ids.tests = (await h.t.json("POST", "/api/skills", { body: { skill_md: skillMd("tests") } })).body.id;
  ids.noForcePush = (await h.t.json("POST", "/api/rules", { body: { name: "no force push", body: "Never force-push." } })).body.id;
  expect(
    (await h.t.json("PATCH", `/api/agents/${h.agentId}`, { body: { skill_ids: [ids.review, ids.tests], rule_ids: [ids.noForcePush] } }))
      .status,
  ).toBe(200);
}, 60_000);
afterAll(() => h?.close());

/** Starts a session, waits until it is idle, and returns the runtime-side session it got. */
async function remoteOfNewSession() {
  const s = await h.createSession();
  await h.waitForStatus(s.id, "idle");
  const remote = [...h.fake.sessions.values()].at(-1)!;
  return { remote, agent: h.fake.agents.get(remote.agent)!, environment: h.fake.environments.get(remote.environmentId!)! };
}

describe("agent configuration on a remote runtime", () => {
  test("the runtime receives the environment, the repository, skills, rules and vault key names", async () => {
    const { remote, agent, environment } = await remoteOfNewSession();
    expect(environment.config).toEqual({
      type: "cloud",
      networking: { type: "unrestricted" },
      env: { NODE_ENV: "production", FEATURE_FLAG: "on" },
    });
    expect(remote.resources).toEqual([
      { type: "github_repository", url: "https://github.com/acme/widgets", checkout: { type: "branch", name: "develop" } },
    ]);
    expect(agent.metadata).toMatchObject({
      lap_skill_ids: `${ids.review},${ids.tests}`,
      lap_rule_ids: ids.noForcePush,
      lap_vault_keys: "GITHUB_TOKEN",
    });
    expect(agent.system).toBe("Be brief.");
  });

  test("an unchanged agent reuses the remote agent and environment", async () => {
    const first = await remoteOfNewSession();
    const agents = h.fake.agents.size;
    const environments = h.fake.environments.size;
    const second = await remoteOfNewSession();
    expect(second.remote.agent).toBe(first.remote.agent);
    expect(second.remote.environmentId).toBe(first.remote.environmentId);
    expect(h.fake.agents.size).toBe(agents);
    expect(h.fake.environments.size).toBe(environments);
  });

  const changes: Array<[string, () => Record<string, unknown>]> = [
    ["environment", () => ({ environment: { NODE_ENV: "staging" } })],
    ["repo_url", () => ({ repo_url: "https://github.com/acme/gadgets" })],
    ["repo_branch", () => ({ repo_branch: "main" })],
    ["skill_ids", () => ({ skill_ids: [ids.review] })],
    ["rule_ids", () => ({ rule_ids: [] })],
    ["vault_keys", () => ({ vault_keys: ["GITHUB_TOKEN", "NPM_TOKEN"] })],
  ];
  for (const [field, patch] of changes) {
    test(`changing ${field} creates a new remote agent and environment carrying the change`, async () => {
      const before = await remoteOfNewSession();
      const res = await h.t.json("PATCH", `/api/agents/${h.agentId}`, { body: patch() });
      expect(res.status).toBe(200);
      const after = await remoteOfNewSession();
      expect(after.remote.agent).not.toBe(before.remote.agent);
      expect(after.remote.environmentId).not.toBe(before.remote.environmentId);
      if (field === "environment") expect(after.environment.config).toMatchObject({ env: { NODE_ENV: "staging" } });
      if (field === "repo_url") expect(after.remote.resources[0]).toMatchObject({ url: "https://github.com/acme/gadgets" });
      if (field === "repo_branch") expect(after.remote.resources[0]).toMatchObject({ checkout: { type: "branch", name: "main" } });
      if (field === "skill_ids") expect(after.agent.metadata).toMatchObject({ lap_skill_ids: ids.review });
      if (field === "rule_ids") expect((after.agent.metadata as Record<string, unknown>).lap_rule_ids).toBeUndefined();
      if (field === "vault_keys") expect(after.agent.metadata).toMatchObject({ lap_vault_keys: "GITHUB_TOKEN,NPM_TOKEN" });
    });
  }

  test("an agent without environment or repository sends neither (runtimes that reject unknown fields keep working)", async () => {
    await h.t.json("PATCH", `/api/agents/${h.agentId}`, { body: { environment: {}, repo_url: null, repo_branch: null } });
    const { remote, environment } = await remoteOfNewSession();
    expect(environment.config).toEqual({ type: "cloud", networking: { type: "unrestricted" } });
    expect(remote.resources).toEqual([]);
  });
});
