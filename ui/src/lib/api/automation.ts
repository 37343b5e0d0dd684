// Work that reaches agents without a person: schedules and webhook triggers (docs/schedules.md).
import type { z } from "zod";
import type {
  CreateScheduleInput,
  previewView,
  runListView,
  RunView,
  scheduleListView,
  ScheduleView,
  UpdateScheduleInput,
} from "../../../../server/schedules/model";
import type {
  CreateTriggerInput,
  deliveryListView,
  DeliveryView,
  triggerListView,
  TriggerView,
  triggerWithSecretView,
  UpdateTriggerInput,
} from "../../../../server/triggers/model";
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
    list: () => request<z.infer<typeof scheduleListView>>("GET", "/api/schedules").then((r) => r.data),
    get: (sid: string) => request<ScheduleView>("GET", `/api/schedules/${id(sid)}`),
    create: (input: CreateScheduleInput) => request<ScheduleView>("POST", "/api/schedules", input),
    update: (sid: string, input: UpdateScheduleInput) => request<ScheduleView>("PATCH", `/api/schedules/${id(sid)}`, input),
    remove: (sid: string) => request<ScheduleView>("DELETE", `/api/schedules/${id(sid)}`),
    pause: (sid: string) => request<ScheduleView>("POST", `/api/schedules/${id(sid)}/pause`),
    resume: (sid: string) => request<ScheduleView>("POST", `/api/schedules/${id(sid)}/resume`),
    run: (sid: string) => request<RunView>("POST", `/api/schedules/${id(sid)}/run`),
    runs: (sid: string, cursor?: string) =>
      request<z.infer<typeof runListView>>("GET", `/api/schedules/${id(sid)}/runs${q({ limit: 50, cursor })}`),
    preview: (cron: string, timezone: string) =>
      request<z.infer<typeof previewView>>("GET", `/api/schedules/preview${q({ cron, timezone })}`),
  },
  triggers: {
    list: () => request<z.infer<typeof triggerListView>>("GET", "/api/triggers").then((r) => r.data),
    get: (tid: string) => request<TriggerView>("GET", `/api/triggers/${id(tid)}`),
    create: (input: CreateTriggerInput) => request<z.infer<typeof triggerWithSecretView>>("POST", "/api/triggers", input),
    update: (tid: string, input: UpdateTriggerInput) => request<TriggerView>("PATCH", `/api/triggers/${id(tid)}`, input),
    remove: (tid: string) => request<TriggerView>("DELETE", `/api/triggers/${id(tid)}`),
    pause: (tid: string) => request<TriggerView>("POST", `/api/triggers/${id(tid)}/pause`),
    resume: (tid: string) => request<TriggerView>("POST", `/api/triggers/${id(tid)}/resume`),
    rotateSecret: (tid: string) => request<z.infer<typeof triggerWithSecretView>>("POST", `/api/triggers/${id(tid)}/rotate-secret`),
    deliveries: (tid: string, cursor?: string) =>
      request<z.infer<typeof deliveryListView>>("GET", `/api/triggers/${id(tid)}/deliveries${q({ limit: 50, cursor })}`),
  },
};
