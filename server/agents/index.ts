import { Elysia } from "elysia";
import { z } from "zod";
import type { AuthGuard } from "../http/auth-guard";
import { agentIdParams, agentListItem, agentView, createAgentBody, listAgentsQuery, updateAgentBody } from "./model";
import type { AgentService } from "./service";

/** Agents: admins, and users in their teams (server/auth/policy.ts). */
export function agentRoutes(deps: { agents: AgentService; guard: AuthGuard }) {
  return new Elysia({ prefix: "/api/agents", detail: { tags: ["Agents"] } })
    .use(deps.guard)
    .get("", async ({ query, principal }) => ({ data: await deps.agents.list(query, principal) }), {
      query: listAgentsQuery,
      response: z.object({ data: z.array(agentListItem) }),
      detail: { summary: "List agents, newest first, each with its total cost; q searches name and description" },
    })
    .post(
      "",
      async ({ body, set, principal }) => {
        set.status = 201;
        return deps.agents.create(body, principal);
      },
      { body: createAgentBody, response: { 201: agentView }, detail: { summary: "Create an agent" } },
    )
    .get("/:id", ({ params, principal }) => deps.agents.get(params.id, principal), { params: agentIdParams, response: agentView })
    .patch("/:id", ({ params, body, principal }) => deps.agents.update(params.id, body, principal), {
      params: agentIdParams,
      body: updateAgentBody,
      response: agentView,
      detail: { summary: "Change an agent (absent fields stay as they are)" },
    })
    .post("/:id/pause", ({ params, principal }) => deps.agents.setStatus(params.id, "paused", principal), {
      params: agentIdParams,
      response: agentView,
      detail: { summary: "Pause: new sessions and messages are refused until resumed" },
    })
    .post("/:id/resume", ({ params, principal }) => deps.agents.setStatus(params.id, "active", principal), {
      params: agentIdParams,
      response: agentView,
    })
    .delete("/:id", ({ params, principal }) => deps.agents.remove(params.id, principal), {
      params: agentIdParams,
      response: agentView,
      detail: { summary: "Delete an agent; its sessions are stopped first" },
    });
}
