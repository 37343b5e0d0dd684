/**
 * The proof that no real key enters a sandbox, on a real LAP (startLap) with a real
 * bubblewrap sandbox: a vault secret attached to an agent, a real provider key in the gateway.
 * Inside the sandbox the agent reads every process's environment and command line, the workspace,
 * /tmp and the harness files: neither real value is there, only the stub. Its HTTPS request to the
 * bound host (a loopback TLS server standing in for api.github.com) arrives with the real value;
 * a request to an allowed but unbound host carries the stub; a host off the allow-list is refused;
 * all three are in the egress records of the session, and the vault shows the secret's last use.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLap, type RunningLap } from "../../main";
import { testDatabase } from "../../../test/support/db";
import { startScriptedOpenAI, type ScriptedOpenAI } from "../../../test/support/scripted-openai";
import { lapClient, waitFor } from "../../../test/support/api-client";
import { startEgressTargets } from "../../../test/support/egress-targets";
import { LOOPBACK_FAKES_ALLOWED } from "../../../test/support/destinations";

const MASTER = "vault-proof-master-key";
const VAULT_VALUE = "ghp_REALVAULTVALUE_7c1d9e";
// Another team's secret of the same name, bound to the same host: never this agent's (issue 21).
const OTHER_TEAM_VALUE = "ghp_OTHERTEAMVALUE_5a0b3c";
const PROVIDER_KEY = "sk-REALPROVIDERKEY-4b8a2f";
// Patterns that match the real values without containing them, so the command that searches for
// them (visible in /proc/*/cmdline and in the harness's events) cannot be what is found.
const VAULT_PATTERN = "ghp_REALVAULTVALUE_7c1d9[e]";
const PROVIDER_PATTERN = "sk-REALPROVIDERKEY-4b8a2[f]";

let lap: RunningLap;
let model: ScriptedOpenAI;
// Stands for an external HTTPS API the secret is bound to; its certificate comes from a CA standing in for a public one.
let boundApi: ReturnType<typeof Bun.serve>;
// Stands for another allowed host (a package mirror), plain HTTP, with no secret bound to it.
let otherApi: ReturnType<typeof Bun.serve>;
const seen: { bound: Array<string | null>; other: Array<string | null> } = { bound: [], other: [] };

const { api, events } = lapClient(() => lap.url, MASTER);

beforeAll(async () => {
  model = startScriptedOpenAI();
  const dataDir = mkdtempSync(join(tmpdir(), "lap-vault-proof-"));
  let caFile: string;
  ({ boundApi, otherApi, caFile } = await startEgressTargets(dataDir, seen));
  const gatewayConfig = join(dataDir, "gateway.yaml");
  writeFileSync(
    gatewayConfig,
    `model_list:\n  - model_name: scripted-model\n    litellm_params: { model: openai/scripted-model, api_base: "${model.url}", api_key: ${PROVIDER_KEY} }\n`,
  );
  const env: Record<string, string> = {
    LAP_DATA_DIR: dataDir,
    PORT: "0",
    MASTER_KEY: MASTER,
    LOG_LEVEL: "silent",
    LAP_GATEWAY_CONFIG: gatewayConfig,
    WARM_POOL_SIZE: "0",
    EGRESS_UPSTREAM_CA_FILE: caFile,
    PATH: process.env.PATH ?? "",
    // The fake APIs stand for internet hosts on loopback: allowed the way an operator would.
    LAP_ALLOW_PRIVATE_HOSTS: LOOPBACK_FAKES_ALLOWED,
  };
  // A copy of the migrated template (PGlite), or a fresh PostgreSQL database dropped when LAP closes it.
  lap = await startLap(env, { database: await testDatabase() });
}, 90_000);

afterAll(async () => {
  await lap?.stop();
  await model?.stop();
  boundApi?.stop(true);
  otherApi?.stop(true);
});

test("no real key is in the sandbox's environment, files or processes; the stub becomes the value only toward its bound host", async () => {
  const secret = await api<{ id: string }>("POST", "/api/vault", { name: "GITHUB_TOKEN", value: VAULT_VALUE, hosts: ["localhost"] });
  expect(secret.status).toBe(201);
  const otherTeam = await api<{ id: string }>("POST", "/api/teams", { alias: "other team" });
  expect(
    (await api("POST", "/api/vault", { name: "GITHUB_TOKEN", value: OTHER_TEAM_VALUE, hosts: ["localhost"], team_id: otherTeam.body.id }))
      .status,
  ).toBe(201);
  const agent = await api<{ id: string }>("POST", "/api/agents", {
    name: "vault-user",
    model: "scripted-model",
    runtime_id: "rt_local_sandbox",
    harness: "builtin",
    vault_keys: ["GITHUB_TOKEN"],
    egress_allow_hosts: ["127.0.0.1"],
  });
  expect(agent.status).toBe(201);
  const session = await api<{ id: string }>("POST", "/api/sessions", { agent_id: agent.body.id });
  const id = session.body.id;
  await waitFor("session idle", async () => (await api<{ status: string }>("GET", `/api/sessions/${id}`)).body.status === "idle");

  const command = [
    "echo STUB=$GITHUB_TOKEN",
    // Every process's environment and command line, the workspace, /tmp, LAP's run dir and the harness.
    `grep -rlsE '${VAULT_PATTERN}|${PROVIDER_PATTERN}' /proc/[0-9]*/environ /proc/[0-9]*/cmdline /workspace /tmp /run/lap /opt/lap/harness /opt/lap/bundle /etc | sed 's/^/FOUND:/'`,
    "echo PROCS=$(ls -d /proc/[0-9]* | wc -l)",
    "env | grep -c GITHUB_TOKEN= | sed 's/^/ENVCOUNT=/'",
    // NO_PROXY lists localhost for LAP's bridge; force the proxy for these calls.
    `curl -sS --noproxy '' -H "Authorization: Bearer $GITHUB_TOKEN" https://localhost:${boundApi.port}/api; echo`,
    `curl -sS --noproxy '' -H "Authorization: Bearer $GITHUB_TOKEN" http://127.0.0.1:${otherApi.port}/api; echo`,
    `curl -s --noproxy '' -o /dev/null -w 'DENIED=%{http_code}\\n' -H "Authorization: Bearer $GITHUB_TOKEN" https://denied.example.com/ || true`,
    "echo SCAN_DONE",
  ].join("; ");
  model.script([{ toolCalls: [{ name: "bash", arguments: { command } }] }, { text: "done" }]);
  expect((await api("POST", `/api/sessions/${id}/messages`, { text: "check your secrets" })).status).toBe(202);
  await waitFor(
    "the turn",
    async () => (await events(id)).some((e) => e.type === "session.status_idle" || e.type === "session.error"),
    60_000,
  );

  const all = await events(id);
  const output = all
    .filter((e) => e.type === "agent.tool_result")
    .map((e) => JSON.stringify(e.data))
    .join("\n");
  expect(output).toContain("SCAN_DONE");
  expect(output).toMatch(/STUB=stub_github_token_[0-9a-f]{12}/);
  expect(output).toContain("ENVCOUNT=1");
  expect(Number(/PROCS=(\d+)/.exec(output)?.[1])).toBeGreaterThan(1);
  // Neither real value is anywhere in the sandbox.
  expect(output).not.toContain("FOUND:");
  expect(output).not.toContain(VAULT_VALUE);
  expect(output).not.toContain(PROVIDER_KEY);
  expect(output).not.toContain(OTHER_TEAM_VALUE);
  expect(output).toContain("bound api says hi");
  expect(output).toContain("other api says hi");
  expect(output).toMatch(/DENIED=(403|000)/);
  const stub = /STUB=(stub_github_token_[0-9a-f]{12})/.exec(output)![1]!;

  // The bound host received the real value (the org-wide one, not the other team's of the same name); the other allowed host only the stub.
  expect(seen.bound).toEqual([`Bearer ${VAULT_VALUE}`]);
  expect(seen.other).toEqual([`Bearer ${stub}`]);
  // The provider saw the real provider key (through the gateway), never the vault value.
  expect(model.requests.length).toBeGreaterThan(0);
  for (const r of model.requests) expect(r.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
  expect(JSON.stringify(model.requests)).not.toContain(VAULT_VALUE);
  // Nothing LAP stored for the session holds the real values.
  expect(JSON.stringify(all)).not.toContain(VAULT_VALUE);

  // The egress records of this session: each request, its outcome, the names swapped or refused.
  const records = (
    await api<{
      data: Array<{
        method: string;
        host: string;
        outcome: string;
        swapped: string[];
        refused: string[];
        session_id: string;
        agent_id: string;
      }>;
    }>("GET", `/api/sandboxes/egress?session_id=${id}`)
  ).body.data;
  expect(records.map((r) => [r.method, r.host, r.outcome, r.swapped, r.refused]).reverse()).toEqual([
    ["CONNECT", "localhost", "allowed", [], []],
    ["GET", "localhost", "allowed", ["GITHUB_TOKEN"], []],
    ["GET", "127.0.0.1", "allowed", [], ["GITHUB_TOKEN"]],
    ["CONNECT", "denied.example.com", "denied", [], []],
  ]);
  for (const r of records) expect(r).toMatchObject({ session_id: id, agent_id: agent.body.id });
  expect(JSON.stringify(records)).not.toContain(VAULT_VALUE);
  const vault = (
    await api<{ data: Array<{ name: string; team_id: string | null; last_used_at: string | null }> }>("GET", "/api/vault")
  ).body.data.filter((s) => s.name === "GITHUB_TOKEN");
  expect(vault.find((s) => s.team_id === null)?.last_used_at).not.toBeNull();
  // The other team's secret of the same name was not used.
  expect(vault.find((s) => s.team_id !== null)?.last_used_at).toBeNull();

  // The audit trail: the secret's use and its refusal by name, host and session (never the value), and the sandbox's start.
  type Row = { action: string; object: { type: string; id: string | null }; detail: Record<string, unknown> };
  const trail = (await api<{ data: Row[] }>("GET", "/api/audit?action=secret.&limit=100")).body.data.filter(
    (r) => r.detail.session_id === id,
  );
  expect(trail.map((r) => [r.action, r.detail.name, r.detail.host, r.object.id]).sort()).toEqual([
    ["secret.refused", "GITHUB_TOKEN", "127.0.0.1", secret.body.id],
    ["secret.use", "GITHUB_TOKEN", "localhost", secret.body.id],
  ]);
  expect(JSON.stringify(trail)).not.toContain(VAULT_VALUE);
  const sandboxRows = (await api<{ data: Row[] }>("GET", "/api/audit?object_type=sandbox&limit=100")).body.data.filter(
    (r) => r.detail.session_id === id,
  );
  expect(sandboxRows.find((r) => r.action === "sandbox.start")?.detail).toMatchObject({ start: "cold", agent_id: agent.body.id });
}, 120_000);

test("an agent whose vault key is not in the vault gets a session.error naming it, and no sandbox", async () => {
  const agent = await api<{ id: string }>("POST", "/api/agents", {
    name: "missing-secret",
    model: "scripted-model",
    runtime_id: "rt_local_sandbox",
    harness: "builtin",
    vault_keys: ["NOT_IN_VAULT"],
  });
  const session = await api<{ id: string }>("POST", "/api/sessions", { agent_id: agent.body.id });
  const id = session.body.id;
  await waitFor("the session to fail", async () => (await api<{ status: string }>("GET", `/api/sessions/${id}`)).body.status === "error");
  const error = (await events(id)).find((e) => e.type === "session.error");
  expect(JSON.stringify(error?.data)).toContain("NOT_IN_VAULT");
  expect(await lap.database.query("select 1 from sandboxes where session_id = $1", [id])).toEqual([]);
}, 60_000);
