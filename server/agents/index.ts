import { Elysia } from "elysia";
import { z } from "zod";
import type { AuthGuard } from "../http/auth-guard";
import { agentIdParams, agentView, createAgentBody, listAgentsQuery, updateAgentBody } from "./model";
import type { AgentService } from "./service";

export function agentRoutes(deps: { agents: AgentService; guard: AuthGuard }) {
  return new Elysia({ prefix: "/api/agents", detail: { tags: ["Agents"] } })
    .use(deps.guard)
    .get("", async ({ query }) => ({ data: await deps.agents.list(query) }), {
      query: listAgentsQuery,
      response: z.object({ data: z.array(agentView) }),
      detail: { summary: "List agents, newest first; q searches name and description" },
    })
    .post(
      "",
      async ({ body, set }) => {
        set.status = 201;
        return deps.agents.create(body);
      },
      { body: createAgentBody, response: { 201: agentView }, detail: { summary: "Create an agent" } },
    )
    .get("/:id", ({ params }) => deps.agents.get(params.id), { params: agentIdParams, response: agentView })
    .patch("/:id", ({ params, body }) => deps.agents.update(params.id, body), {
      params: agentIdParams,
      body: updateAgentBody,
      response: agentView,
      detail: { summary: "Change an agent (absent fields stay as they are)" },
    })
    .post("/:id/pause", ({ params }) => deps.agents.setStatus(params.id, "paused"), {
      params: agentIdParams,
      response: agentView,
      detail: { summary: "Pause: new sessions and messages are refused until resumed" },
    })
    .post("/:id/resume", ({ params }) => deps.agents.setStatus(params.id, "active"), { params: agentIdParams, response: agentView })
    .delete("/:id", ({ params }) => deps.agents.remove(params.id), {
      params: agentIdParams,
      response: agentView,
      detail: { summary: "Delete an agent; its sessions are stopped first" },
    });
}
