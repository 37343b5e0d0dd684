import { Elysia } from "elysia";
import type { AuthGuard } from "../http/auth-guard";
import {
  acceptedDeliveryView,
  createTriggerBody,
  deliveriesQuery,
  deliveryListView,
  triggerIdParams,
  triggerListView,
  triggerView,
  triggerWithSecretView,
  updateTriggerBody,
} from "./model";
import type { TriggerIntake } from "./receive";
import type { TriggerService } from "./service";

/**
 * /api/triggers (docs/schedules.md). Managing triggers needs a key (admins: all, a user key: its
 * own); POST /api/triggers/:id is public and authenticates by the trigger's signature instead.
 */
export function triggerRoutes(deps: { triggers: TriggerService; intake: TriggerIntake; guard: AuthGuard }) {
  const t = deps.triggers;
  return new Elysia({ prefix: "/api/triggers", detail: { tags: ["Triggers"] } })
    .use(deps.guard)
    .get("", async ({ principal }) => ({ data: await t.list(principal) }), {
      response: triggerListView,
      detail: { summary: "List webhook triggers" },
    })
    .post(
      "",
      async ({ principal, body, set }) => {
        set.status = 201;
        return t.create(principal, body);
      },
      {
        body: createTriggerBody,
        response: { 201: triggerWithSecretView },
        detail: { summary: "Create a webhook trigger; the signing secret is in this answer only" },
      },
    )
    .post(
      "/:id",
      async ({ params, request, set }) => {
        const accepted = await deps.intake.receive(params.id, request);
        set.status = 202;
        return accepted;
      },
      {
        params: triggerIdParams,
        parse: "none",
        response: { 202: acceptedDeliveryView },
        detail: {
          summary:
            "Deliver a webhook (signed with X-LAP-Timestamp and X-LAP-Signature; Idempotency-Key optional): starts a turn, answers its session",
        },
      },
    )
    .get("/:id", ({ principal, params }) => t.get(principal, params.id), { params: triggerIdParams, response: triggerView })
    .patch("/:id", ({ principal, params, body }) => t.update(principal, params.id, body), {
      params: triggerIdParams,
      body: updateTriggerBody,
      response: triggerView,
      detail: { summary: "Change a trigger (absent fields stay)" },
    })
    .delete("/:id", ({ principal, params }) => t.remove(principal, params.id), {
      params: triggerIdParams,
      response: triggerView,
      detail: { summary: "Delete a trigger and its delivery history (sessions it started stay)" },
    })
    .post("/:id/pause", ({ principal, params }) => t.setStatus(principal, params.id, "paused"), {
      params: triggerIdParams,
      response: triggerView,
      detail: { summary: "Pause: webhooks are answered 409 until resumed" },
    })
    .post("/:id/resume", ({ principal, params }) => t.setStatus(principal, params.id, "active"), {
      params: triggerIdParams,
      response: triggerView,
    })
    .post("/:id/rotate-secret", ({ principal, params }) => t.rotateSecret(principal, params.id), {
      params: triggerIdParams,
      response: triggerWithSecretView,
      detail: { summary: "Replace the signing secret (shown once); the old one stops working at once" },
    })
    .get("/:id/deliveries", ({ principal, params, query }) => t.deliveries(principal, params.id, query), {
      params: triggerIdParams,
      query: deliveriesQuery,
      response: deliveryListView,
      detail: { summary: "Deliveries, newest first: session, outcome and callback state" },
    });
}
