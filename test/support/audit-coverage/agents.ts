/** Agents and what they are made of: runtimes, files, skills, rules and memory. */
import { strToU8, zipSync } from "fflate";
import { type Fixtures, type Scenarios, uid } from "./fixtures";

export function agentsScenarios({ h, made, skillMd, skill, rule, agent }: Fixtures): Scenarios {
  return {
    "POST /api/runtimes": async () => ({
      path: "/api/runtimes",
      body: { alias: `rt-${uid()}`, base_url: h.fake.url, api_key: "runtime-api-key" },
      action: "runtime.create",
    }),
    "DELETE /api/runtimes/:id": async () => ({
      path: `/api/runtimes/${(await made("POST", "/api/runtimes", { alias: `rt-${uid()}`, base_url: h.fake.url, api_key: "k" })).id}`,
      action: "runtime.delete",
    }),
    "POST /api/agents": async () => ({
      path: "/api/agents",
      body: { name: `a-${uid()}`, model: "claude-sonnet-4-5", runtime_id: h.runtimeId },
      action: "agent.create",
    }),
    "PATCH /api/agents/:id": async () => ({
      path: `/api/agents/${await agent()}`,
      body: { description: "changed" },
      action: "agent.update",
    }),
    "POST /api/agents/:id/pause": async () => ({ path: `/api/agents/${await agent()}/pause`, action: "agent.pause" }),
    "POST /api/agents/:id/resume": async () => {
      const id = await agent();
      await made("POST", `/api/agents/${id}/pause`);
      return { path: `/api/agents/${id}/resume`, action: "agent.resume" };
    },
    "DELETE /api/agents/:id": async () => ({ path: `/api/agents/${await agent()}`, action: "agent.delete" }),
    "POST /api/agents/:id/files": async () => ({
      path: `/api/agents/${await agent()}/files`,
      body: '--b0\r\ncontent-disposition: form-data; name="file"; filename="notes.md"\r\ncontent-type: text/markdown\r\n\r\n# notes\r\n--b0--\r\n',
      headers: { "content-type": "multipart/form-data; boundary=b0" },
      action: "agent_file.upload",
    }),
    "PUT /api/agents/:id/files/*": async () => ({
      path: `/api/agents/${await agent()}/files/docs/a.txt`,
      body: "file bytes",
      action: "agent_file.upload",
    }),
    "DELETE /api/agents/:id/files/*": async () => {
      const id = await agent();
      const res = await h.t.request("PUT", `/api/agents/${id}/files/gone.txt`, { body: "x" });
      if (res.status !== 200) throw new Error(`upload: ${res.status}`);
      return { path: `/api/agents/${id}/files/gone.txt`, action: "agent_file.delete" };
    },
    "POST /api/skills": async () => ({ path: "/api/skills", body: { skill_md: skillMd() }, action: "skill.create" }),
    "POST /api/skills/import": async () => ({
      path: "/api/skills/import",
      body: { zip_base64: Buffer.from(zipSync({ "SKILL.md": strToU8(skillMd()) })).toString("base64") },
      action: "skill.create",
    }),
    "PATCH /api/skills/:id": async () => ({ path: `/api/skills/${await skill()}`, body: { skill_md: skillMd() }, action: "skill.update" }),
    "DELETE /api/skills/:id": async () => ({ path: `/api/skills/${await skill()}`, action: "skill.delete" }),
    "POST /api/skills/:id/rollback": async () => ({
      path: `/api/skills/${await skill()}/rollback`,
      body: { version: 1 },
      action: "skill.rollback",
    }),
    "POST /api/rules": async () => ({ path: "/api/rules", body: { name: `r-${uid()}`, body: "Be brief." }, action: "rule.create" }),
    "PATCH /api/rules/:id": async () => ({ path: `/api/rules/${await rule()}`, body: { body: "Be briefer." }, action: "rule.update" }),
    "DELETE /api/rules/:id": async () => ({ path: `/api/rules/${await rule()}`, action: "rule.delete" }),
    "POST /api/rules/:id/rollback": async () => ({
      path: `/api/rules/${await rule()}/rollback`,
      body: { version: 1 },
      action: "rule.rollback",
    }),
    "POST /api/agents/:id/memory": async () => ({
      path: `/api/agents/${await agent()}/memory`,
      body: { key: "k", content: "c" },
      action: "memory.create",
    }),
    "PATCH /api/agents/:id/memory/:memoryId": async () => {
      const id = await agent();
      return {
        path: `/api/agents/${id}/memory/${(await made("POST", `/api/agents/${id}/memory`, { key: "k", content: "c" })).id}`,
        body: { content: "d" },
        action: "memory.update",
      };
    },
    "DELETE /api/agents/:id/memory/:memoryId": async () => {
      const id = await agent();
      return {
        path: `/api/agents/${id}/memory/${(await made("POST", `/api/agents/${id}/memory`, { key: "k", content: "c" })).id}`,
        action: "memory.delete",
      };
    },
    "POST /api/agents/:id/memory/:memoryId/restore": async () => {
      const id = await agent();
      const m = (await made("POST", `/api/agents/${id}/memory`, { key: "k", content: "c" })).id;
      await made("DELETE", `/api/agents/${id}/memory/${m}`);
      return { path: `/api/agents/${id}/memory/${m}/restore`, body: {}, action: "memory.restore" };
    },
  };
}
