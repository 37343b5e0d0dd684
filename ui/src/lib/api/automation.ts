// Work that reaches agents without a person: schedules and webhook triggers (docs/schedules.md).
import type { CreateScheduleInput, RunView, ScheduleView, UpdateScheduleInput } from "../../../../server/schedules/model";
import type { CreateTriggerInput, DeliveryView, TriggerView, UpdateTriggerInput } from "../../../../server/triggers/model";
import { q, request } from "./client";

export type {
  CreateScheduleInput,
  CreateTriggerInput,
  DeliveryView,
  RunView,
  ScheduleView,
  TriggerView,
  UpdateScheduleInput,
  UpdateTriggerInput,
};

const id = (s: string) => encodeURIComponent(s);

export const automationApi = {
  schedules: {
    list: () => request<{ data: ScheduleView[] }>("GET", "/api/schedules").then((r) => r.data),
    get: (sid: string) => request<ScheduleView>("GET", `/api/schedules/${id(sid)}`),
    create: (input: CreateScheduleInput) => request<ScheduleView>("POST", "/api/schedules", input),
    update: (sid: string, input: UpdateScheduleInput) => request<ScheduleView>("PATCH", `/api/schedules/${id(sid)}`, input),
    remove: (sid: string) => request<ScheduleView>("DELETE", `/api/schedules/${id(sid)}`),
    pause: (sid: string) => request<ScheduleView>("POST", `/api/schedules/${id(sid)}/pause`),
    resume: (sid: string) => request<ScheduleView>("POST", `/api/schedules/${id(sid)}/resume`),
    run: (sid: string) => request<RunView>("POST", `/api/schedules/${id(sid)}/run`),
    runs: (sid: string, cursor?: string) =>
      request<{ data: RunView[]; next_cursor: string | null }>("GET", `/api/schedules/${id(sid)}/runs${q({ limit: 50, cursor })}`),
    preview: (cron: string, timezone: string) =>
      request<{ timezone: string; next_runs: string[] }>("GET", `/api/schedules/preview${q({ cron, timezone })}`),
  },
  triggers: {
    list: () => request<{ data: TriggerView[] }>("GET", "/api/triggers").then((r) => r.data),
    get: (tid: string) => request<TriggerView>("GET", `/api/triggers/${id(tid)}`),
    create: (input: CreateTriggerInput) => request<{ trigger: TriggerView; secret: string }>("POST", "/api/triggers", input),
    update: (tid: string, input: UpdateTriggerInput) => request<TriggerView>("PATCH", `/api/triggers/${id(tid)}`, input),
    remove: (tid: string) => request<TriggerView>("DELETE", `/api/triggers/${id(tid)}`),
    pause: (tid: string) => request<TriggerView>("POST", `/api/triggers/${id(tid)}/pause`),
    resume: (tid: string) => request<TriggerView>("POST", `/api/triggers/${id(tid)}/resume`),
    rotateSecret: (tid: string) => request<{ trigger: TriggerView; secret: string }>("POST", `/api/triggers/${id(tid)}/rotate-secret`),
    deliveries: (tid: string, cursor?: string) =>
      request<{ data: DeliveryView[]; next_cursor: string | null }>(
        "GET",
        `/api/triggers/${id(tid)}/deliveries${q({ limit: 50, cursor })}`,
      ),
  },
};
