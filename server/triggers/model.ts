import { z } from "zod";
import { SESSION_MODES } from "../../schema/schedules";
import { MAX_TEMPLATE_CHARS, templateProblem } from "./template";

const required = (what: string) => ({
  error: (i: { input: unknown }) => (i.input === undefined ? `required: ${what}` : "must be a string"),
});

const promptTemplate = z
  .string(required("the prompt template, e.g. Triage {{body.issue.title}}"))
  .min(1, "required: the prompt template, e.g. Triage {{body.issue.title}}")
  .max(MAX_TEMPLATE_CHARS, `at most ${MAX_TEMPLATE_CHARS} characters`)
  .superRefine((v, ctx) => {
    const problem = templateProblem(v);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/** Where LAP POSTs the outcome; checked for a public address here and again, after resolution, at each send. */
const callbackUrl = z
  .url({ protocol: /^https?$/, message: "must be an http(s) URL" })
  .max(2000, "at most 2000 characters")
  .nullable();

const fields = {
  name: z.string(required("a name")).trim().min(1, "required: a name").max(100, "at most 100 characters"),
  agent_id: z.string(required("the agent that answers")).trim().min(1, "required: the agent that answers").max(64),
  prompt_template: promptTemplate,
  session_mode: z.enum(SESSION_MODES, { error: "must be new or continue" }).default("new"),
  callback_url: callbackUrl.default(null),
};

export const createTriggerBody = z.object(fields).strict();
export type CreateTriggerInput = z.input<typeof createTriggerBody>;

export const updateTriggerBody = z
  .object({
    name: fields.name.optional(),
    agent_id: fields.agent_id.optional(),
    prompt_template: promptTemplate.optional(),
    session_mode: z.enum(SESSION_MODES, { error: "must be new or continue" }).optional(),
    callback_url: callbackUrl.optional(),
  })
  .strict();
export type UpdateTriggerInput = z.input<typeof updateTriggerBody>;

export const triggerIdParams = z.object({ id: z.string().min(1).max(64) });
export const deliveriesQuery = z.object({
  limit: z.coerce.number({ error: "must be a number" }).int().min(1, "at least 1").max(200, "at most 200").default(50),
  cursor: z.string().max(200).optional(),
});

export const triggerView = z.object({
  id: z.string(),
  name: z.string(),
  agent_id: z.string(),
  agent_name: z.string().nullable(),
  prompt_template: z.string(),
  session_mode: z.enum(SESSION_MODES),
  session_id: z.string().nullable(),
  callback_url: z.string().nullable(),
  status: z.enum(["active", "paused"]),
  /** Where to send webhooks. */
  url: z.string(),
  last_delivery_at: z.string().nullable(),
  created_by: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type TriggerView = z.infer<typeof triggerView>;

/** Creation and rotation answer the secret, once. */
export const triggerWithSecretView = z.object({ trigger: triggerView, secret: z.string() });

export const DELIVERY_VIEW_STATUSES = ["queued", "running", "completed", "failed", "interrupted"] as const;
export const deliveryView = z.object({
  id: z.string(),
  trigger_id: z.string(),
  idempotency_key: z.string(),
  status: z.enum(DELIVERY_VIEW_STATUSES),
  session_id: z.string().nullable(),
  turn_id: z.string().nullable(),
  error: z.string().nullable(),
  callback_status: z.enum(["none", "pending", "delivered", "failed"]),
  callback_attempts: z.number(),
  callback_error: z.string().nullable(),
  received_at: z.string(),
  ended_at: z.string().nullable(),
});
export type DeliveryView = z.infer<typeof deliveryView>;

export const triggerListView = z.object({ data: z.array(triggerView) });
export const deliveryListView = z.object({ data: z.array(deliveryView), next_cursor: z.string().nullable() });

/** The answer to an accepted webhook (and, identically, to its replays). */
export const acceptedDeliveryView = z.object({
  delivery_id: z.string(),
  session_id: z.string(),
  turn_id: z.string(),
  /** True when this request repeated one already accepted (same idempotency key): nothing new started. */
  replayed: z.boolean(),
});
export type AcceptedDelivery = z.infer<typeof acceptedDeliveryView>;
