/**
 * Rules and skills reach an agent through the whole path (docs/skills.md): a real LAP (startLap, on a
 * port) → a built-in-harness agent with a rule and a skill attached → a session in a bubblewrap
 * sandbox → the binding carries them to the harness → the model (test/support/scripted-openai.ts,
 * standing for an LLM provider behind LAP's gateway) sees the rule and the skill's listing in the
 * system prompt and the skill's body once the agent loads it. The session records what was given
 * (`session.context`, names and versions); an edited rule reaches the next session at its new version.
 */
import { afterAll, beforeAll, expect } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLap, type RunningLap } from "../../main";
import { testDatabase } from "../../../test/support/db";
import { startScriptedOpenAI, type ScriptedOpenAI } from "../../../test/support/scripted-openai";
import { lapClient, waitFor } from "../../../test/support/api-client";
import { killMarked } from "../../../test/support/processes";
import { BWRAP_MISSING, requires } from "../../../test/support/skip";

const MASTER = "skills-sandbox-master-key";
let lap: RunningLap;
let model: ScriptedOpenAI;
let dataDir: string;
const { api, events } = lapClient(() => lap.url, MASTER);

if (!BWRAP_MISSING) {
  beforeAll(async () => {
    model = startScriptedOpenAI();
    dataDir = mkdtempSync(join(tmpdir(), "lap-skills-sbx-"));
    const config = join(dataDir, "gateway.yaml");
    writeFileSync(
      config,
      `model_list:\n  - model_name: scripted-model\n    litellm_params: { model: openai/scripted-model, api_base: "${model.url}", api_key: sk-provider-secret-123 }\n`,
    );
    const env: Record<string, string> = {
      LAP_DATA_DIR: dataDir,
      PORT: "0",
      MASTER_KEY: MASTER,
      LOG_LEVEL: "silent",
      LAP_GATEWAY_CONFIG: config,
      WARM_POOL_SIZE: "0",
      PATH: process.env.PATH ?? "",
    };
    lap = await startLap(env, { database: await testDatabase() });
  }, 90_000);

  afterAll(async () => {
    try {
      await lap?.stop();
    } finally {
      if (dataDir) killMarked(dataDir);
      await model?.stop();
    }
  });
}

const systemOf = (i: number) => String(model.requests[i]!.messages[0]!.content);

requires(BWRAP_MISSING).test(
  "a rule and a skill reach the built-in agent in its sandbox; the session shows what was given",
  async () => {
    const skill = await api<{ id: string }>("POST", "/api/skills", {
      skill_md:
        "---\nname: release-notes\ndescription: Writes release notes; use when asked for a changelog\n---\nRELEASE-BODY: group changes by kind.\n",
      files: [{ path: "template.md", content_base64: Buffer.from("## Changes\n").toString("base64") }],
    });
    expect(skill.status).toBe(201);
    const rule = await api<{ id: string }>("POST", "/api/rules", { name: "Tone", body: "RULE-TEXT: answer in one sentence." });
    const agent = await api<{ id: string }>("POST", "/api/agents", {
      name: "writer",
      model: "scripted-model",
      runtime_id: "rt_local_sandbox",
      harness: "builtin",
      skill_ids: [skill.body.id],
      rule_ids: [rule.body.id],
    });
    expect(agent.status).toBe(201);

    const session = await api<{ id: string }>("POST", "/api/sessions", { agent_id: agent.body.id });
    const id = session.body.id;
    await waitFor("session idle", async () => (await api<{ status: string }>("GET", `/api/sessions/${id}`)).body.status === "idle");
    model.script([{ toolCalls: [{ name: "load_skill", arguments: { name: "release-notes" } }] }, { text: "Done." }]);
    expect((await api("POST", `/api/sessions/${id}/messages`, { text: "write the changelog" })).status).toBe(202);
    await waitFor("the turn", async () => (await events(id)).some((e) => e.type === "session.status_idle"), 45_000);

    expect(systemOf(0)).toContain("RULE-TEXT: answer in one sentence.");
    expect(systemOf(0)).toContain("- release-notes: Writes release notes; use when asked for a changelog");
    expect(systemOf(0)).not.toContain("RELEASE-BODY");
    expect(JSON.stringify(model.requests[1]!.messages)).toContain("RELEASE-BODY: group changes by kind.");
    expect(JSON.stringify(model.requests[1]!.messages)).toContain("template.md");
    const given = (await events(id)).filter((e) => e.type === "session.context");
    expect(given).toHaveLength(1);
    expect(given[0]!.data).toMatchObject({ rules: [{ name: "Tone", version: 1 }], skills: [{ name: "release-notes", version: 1 }] });

    // A new version of the rule reaches the next session.
    expect((await api("PATCH", `/api/rules/${rule.body.id}`, { body: "RULE-TEXT-V2: answer in French." })).status).toBe(200);
    const next = (await api<{ id: string }>("POST", "/api/sessions", { agent_id: agent.body.id })).body.id;
    await waitFor(
      "second session idle",
      async () => (await api<{ status: string }>("GET", `/api/sessions/${next}`)).body.status === "idle",
    );
    model.requests.length = 0;
    model.script([{ text: "Bonjour." }]);
    await api("POST", `/api/sessions/${next}/messages`, { text: "hello" });
    await waitFor("the second turn", async () => (await events(next)).some((e) => e.type === "session.status_idle"), 45_000);
    expect(systemOf(0)).toContain("RULE-TEXT-V2: answer in French.");
    expect(systemOf(0)).not.toContain("RULE-TEXT: answer in one sentence.");
    expect((await events(next)).find((e) => e.type === "session.context")!.data).toMatchObject({ rules: [{ name: "Tone", version: 2 }] });
  },
  150_000,
);
