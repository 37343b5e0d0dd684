/**
 * Files through a real LAP (startLap, listening) and real bubblewrap sandboxes with the built-in
 * harness, its model scripted (test/support/scripted-openai.ts stands for the LLM provider): a file
 * uploaded to an agent is in a new session's workspace (the agent `cat`s it); what the agent writes
 * is downloadable, one file and as a zip, after the session's sandbox stopped; links the agent
 * makes to host files or another session's workspace are never served (docs/security.md "Workspace files").
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { startLap, type RunningLap } from "../main";
import { testDatabase } from "../../test/support/db";
import { startScriptedOpenAI, type ScriptedOpenAI } from "../../test/support/scripted-openai";
import { lapClient, waitFor } from "../../test/support/api-client";
import { killMarked } from "../../test/support/processes";
import { BWRAP_MISSING, requires } from "../../test/support/skip";

const MASTER = "files-e2e-master-key-0123";
let lap: RunningLap;
let model: ScriptedOpenAI;
let dataDir: string;
const { api, events } = lapClient(() => lap.url, MASTER);
const raw = (path: string, key = MASTER, init: RequestInit = {}) =>
  fetch(`${lap.url}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, ...init.headers } });
const idle = async (id: string) => (await events(id)).filter((e) => e.type === "session.status_idle").length;

requires(BWRAP_MISSING).describe("files in real sandboxes", () => {
  beforeAll(async () => {
    model = startScriptedOpenAI();
    dataDir = mkdtempSync(join(tmpdir(), "lap-files-e2e-"));
    const config = join(dataDir, "gateway.yaml");
    writeFileSync(
      config,
      `model_list:\n  - model_name: scripted-model\n    litellm_params: { model: openai/scripted-model, api_base: "${model.url}", api_key: sk-provider-secret-123 }\n`,
    );
    lap = await startLap(
      {
        LAP_DATA_DIR: dataDir,
        PORT: "0",
        MASTER_KEY: MASTER,
        LOG_LEVEL: "silent",
        LAP_GATEWAY_CONFIG: config,
        WARM_POOL_SIZE: "0",
        PATH: process.env.PATH ?? "",
      },
      { database: await testDatabase() },
    );
  }, 90_000);

  afterAll(async () => {
    try {
      await lap?.stop();
    } finally {
      if (dataDir) killMarked(dataDir);
      await model?.stop();
    }
  });

  /** A session of `agentId` that ran `steps`, then was stopped (its sandbox gone). */
  async function sessionThatRan(agentId: string, steps: Parameters<ScriptedOpenAI["script"]>[0]) {
    const session = await api<{ id: string }>("POST", "/api/sessions", { agent_id: agentId });
    expect(session.status).toBe(201);
    const id = session.body.id;
    await waitFor("session idle", async () => (await api<{ status: string }>("GET", `/api/sessions/${id}`)).body.status === "idle", 30_000);
    model.requests.length = 0;
    model.script(steps);
    expect((await api("POST", `/api/sessions/${id}/messages`, { text: "go" })).status).toBe(202);
    await waitFor("the turn", async () => (await idle(id)) >= 1, 45_000);
    return id;
  }

  test("an agent's file reaches the session's workspace; what the agent writes is downloadable after the sandbox stopped; its links are not served", async () => {
    const agent = await api<{ id: string }>("POST", "/api/agents", {
      name: "filer",
      model: "scripted-model",
      runtime_id: "rt_local_sandbox",
      harness: "builtin",
    });
    expect(agent.status).toBe(201);
    const put = await raw(`/api/agents/${agent.body.id}/files/docs/brief.md`, MASTER, {
      method: "PUT",
      body: "The secret word is pelican.",
    });
    expect(put.status).toBe(200);

    // Another session's workspace, the target of one of the agent's links below.
    const otherId = await sessionThatRan(agent.body.id, [
      { toolCalls: [{ name: "write", arguments: { path: "theirs.txt", content: "OTHER-SESSION-FILE" } }] },
      { text: "ok" },
    ]);
    const [other] = await lap.database.query<{ workspace_id: string }>("select workspace_id from sandboxes where session_id = $1", [
      otherId,
    ]);
    const otherWs = join(dataDir, "workspaces", other!.workspace_id);
    expect(existsSync(join(otherWs, "theirs.txt"))).toBe(true);

    const id = await sessionThatRan(agent.body.id, [
      { toolCalls: [{ name: "bash", arguments: { command: "cat docs/brief.md" } }] },
      {
        toolCalls: [
          {
            name: "bash",
            arguments: {
              command: `mkdir -p out && echo report-body > out/report.txt && ln -s /etc/passwd passwd-link && ln -s ${otherWs} other-ws && ln -s ${otherWs}/theirs.txt out/theirs-link && mkfifo out/pipe`,
            },
          },
        ],
      },
      { text: "done" },
    ]);
    // The built-in harness read the agent's file from its workspace: the tool result the model got says so.
    expect(JSON.stringify(model.requests[1]!.messages)).toContain("The secret word is pelican.");

    // Stopped: the sandbox is gone, the workspace stays.
    expect((await api("POST", `/api/sessions/${id}/stop`)).status).toBe(200);
    await waitFor(
      "the sandbox gone",
      async () =>
        (await lap.database.query<{ status: string }>("select status from sandboxes where session_id = $1", [id])).every(
          (r) => r.status === "dead",
        ),
      20_000,
    );

    const list = await api<{ data: Array<{ path: string; type: string }>; skipped: number; sandbox_running: boolean }>(
      "GET",
      `/api/sessions/${id}/files`,
    );
    expect(list.status).toBe(200);
    expect(list.body.sandbox_running).toBe(false);
    const paths = list.body.data.map((e) => `${e.type} ${e.path}`);
    expect(paths).toEqual(expect.arrayContaining(["dir docs", "file docs/brief.md", "dir out", "file out/report.txt"]));
    expect(paths.some((p) => /passwd|other-ws|theirs|pipe/.test(p))).toBe(false);
    expect(list.body.skipped).toBe(4);

    const report = await raw(`/api/sessions/${id}/files/out/report.txt`);
    expect(report.status).toBe(200);
    expect(await report.text()).toBe("report-body\n");
    expect(report.headers.get("content-disposition")).toContain('filename="report.txt"');
    for (const path of ["passwd-link", "other-ws/theirs.txt", "out/theirs-link", "out/pipe", "../../../etc/passwd", "/etc/passwd"]) {
      const res = await raw(`/api/sessions/${id}/files/${encodeURIComponent(path)}`);
      const text = await res.text();
      expect([path, res.status]).toEqual([path, expect.any(Number)]);
      expect([path, res.status >= 400 && res.status < 500]).toEqual([path, true]);
      expect(text).not.toContain("root:");
      expect(text).not.toContain("OTHER-SESSION-FILE");
    }
    expect((await raw(`/api/sessions/${id}/files?path=other-ws`)).status).toBe(422);

    const zip = await raw(`/api/sessions/${id}/files.zip`);
    expect(zip.status).toBe(200);
    expect(zip.headers.get("content-type")).toBe("application/zip");
    const files = unzipSync(new Uint8Array(await zip.arrayBuffer()));
    const text = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, new TextDecoder().decode(v)]));
    expect(
      Object.keys(text)
        .filter((k) => !k.startsWith("."))
        .sort(),
    ).toEqual(["docs/brief.md", "out/report.txt"]);
    expect(text["docs/brief.md"]).toBe("The secret word is pelican.");
    expect(JSON.stringify(text)).not.toContain("root:");
    const folder = unzipSync(new Uint8Array(await (await raw(`/api/sessions/${id}/files.zip?path=out`)).arrayBuffer()));
    expect(Object.keys(folder)).toEqual(["report.txt"]);

    // Another team's key sees no such session; unknown sessions and a bad path are 4xx.
    const team = await api<{ id: string }>("POST", "/api/teams", { alias: "strangers" });
    const stranger = await api<{ token: string }>("POST", "/api/keys", { label: "stranger", role: "user", team_id: team.body.id });
    for (const path of [`/api/sessions/${id}/files`, `/api/sessions/${id}/files/out/report.txt`, `/api/sessions/${id}/files.zip`]) {
      expect([path, (await raw(path, stranger.body.token)).status]).toEqual([path, 404]);
    }
    expect((await raw(`/api/sessions/ses_nosuchsession/files`)).status).toBe(404);
    expect((await raw(`/api/sessions/${id}/files?path=..%2F..`)).status).toBe(400);
    expect((await raw(`/api/sessions/${id}/files/..%2Fx`)).status).toBe(400);
  }, 180_000);
});
