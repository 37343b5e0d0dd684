import { Elysia } from "elysia";
import type { AuthGuard } from "../http/auth-guard";
import {
  createScheduleBody,
  previewQuery,
  previewView,
  runListView,
  runsQuery,
  runView,
  scheduleIdParams,
  scheduleListView,
  scheduleView,
  updateScheduleBody,
} from "./model";
import type { ScheduleService } from "./service";

/** /api/schedules (docs/schedules.md). Admins see every schedule; a user key only its own. */
export function scheduleRoutes(deps: { schedules: ScheduleService; guard: AuthGuard }) {
  const s = deps.schedules;
  return new Elysia({ prefix: "/api/schedules", detail: { tags: ["Schedules"] } })
    .use(deps.guard)
    .get("", async ({ principal }) => ({ data: await s.list(principal) }), {
      response: scheduleListView,
      detail: { summary: "List schedules with their next runs and last run" },
    })
    .post(
      "",
      async ({ principal, body, set }) => {
        set.status = 201;
        return s.create(principal, body);
      },
      {
        body: createScheduleBody,
        response: { 201: scheduleView },
        detail: { summary: "Create a schedule: a cron expression in a time zone, an agent and a prompt" },
      },
    )
    .get("/preview", ({ query }) => s.preview(query.cron, query.timezone, query.count), {
      query: previewQuery,
      response: previewView,
      detail: { summary: "The next times a cron expression fires in a time zone (checks the expression)" },
    })
    .get("/:id", ({ principal, params }) => s.get(principal, params.id), { params: scheduleIdParams, response: scheduleView })
    .patch("/:id", ({ principal, params, body }) => s.update(principal, params.id, body), {
      params: scheduleIdParams,
      body: updateScheduleBody,
      response: scheduleView,
      detail: { summary: "Change a schedule (absent fields stay); a new cron or time zone starts from now" },
    })
    .delete("/:id", ({ principal, params }) => s.remove(principal, params.id), {
      params: scheduleIdParams,
      response: scheduleView,
      detail: { summary: "Delete a schedule and its run history (sessions it started stay)" },
    })
    .post("/:id/pause", ({ principal, params }) => s.setStatus(principal, params.id, "paused"), {
      params: scheduleIdParams,
      response: scheduleView,
      detail: { summary: "Pause: no slot fires until resumed; a run waiting for the previous one is dropped" },
    })
    .post("/:id/resume", ({ principal, params }) => s.setStatus(principal, params.id, "active"), {
      params: scheduleIdParams,
      response: scheduleView,
      detail: { summary: "Resume from the next slot (slots missed while paused are not run)" },
    })
    .post(
      "/:id/run",
      async ({ principal, params, set }) => {
        set.status = 202;
        return s.runNow(principal, params.id);
      },
      {
        params: scheduleIdParams,
        response: { 202: runView },
        detail: { summary: "Run now, under the schedule's concurrency policy (409 when it would be skipped)" },
      },
    )
    .get("/:id/runs", ({ principal, params, query }) => s.runs(principal, params.id, query), {
      params: scheduleIdParams,
      query: runsQuery,
      response: runListView,
      detail: { summary: "Run history, newest first: outcome, session and cost" },
    });
}
