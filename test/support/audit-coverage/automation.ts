/** What starts sessions on its own: schedules and triggers. */
import { type Fixtures, type Scenarios, uid } from "./fixtures";

export function automationScenarios({ h, made, schedule, trigger }: Fixtures): Scenarios {
  return {
    "POST /api/schedules": async () => ({
      path: "/api/schedules",
      body: { name: `s-${uid()}`, agent_id: h.agentId, cron: "0 3 * * *", prompt: "hello" },
      action: "schedule.create",
    }),
    "PATCH /api/schedules/:id": async () => ({
      path: `/api/schedules/${await schedule()}`,
      body: { cron: "0 4 * * *" },
      action: "schedule.update",
    }),
    "DELETE /api/schedules/:id": async () => ({ path: `/api/schedules/${await schedule()}`, action: "schedule.delete" }),
    "POST /api/schedules/:id/pause": async () => ({ path: `/api/schedules/${await schedule()}/pause`, action: "schedule.pause" }),
    "POST /api/schedules/:id/resume": async () => {
      const id = await schedule();
      await made("POST", `/api/schedules/${id}/pause`);
      return { path: `/api/schedules/${id}/resume`, action: "schedule.resume" };
    },
    "POST /api/schedules/:id/run": async () => ({ path: `/api/schedules/${await schedule()}/run`, action: "schedule.run" }),
    "POST /api/triggers": async () => ({
      path: "/api/triggers",
      body: { name: `t-${uid()}`, agent_id: h.agentId, prompt_template: "hello" },
      action: "trigger.create",
    }),
    "PATCH /api/triggers/:id": async () => ({
      path: `/api/triggers/${await trigger()}`,
      body: { name: "renamed" },
      action: "trigger.update",
    }),
    "DELETE /api/triggers/:id": async () => ({ path: `/api/triggers/${await trigger()}`, action: "trigger.delete" }),
    "POST /api/triggers/:id/pause": async () => ({ path: `/api/triggers/${await trigger()}/pause`, action: "trigger.pause" }),
    "POST /api/triggers/:id/resume": async () => ({ path: `/api/triggers/${await trigger()}/resume`, action: "trigger.resume" }),
    "POST /api/triggers/:id/rotate-secret": async () => ({
      path: `/api/triggers/${await trigger()}/rotate-secret`,
      action: "trigger.rotate_secret",
    }),
  };
}
