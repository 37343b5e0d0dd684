import { z } from "zod";
import { passThroughStrings } from "../http/validation";
import { idString, modelName, safeString } from "../lib/strings";

/**
 * Request bodies of the LLM routes. Only the fields the gateway itself relies on are checked (so a
 * bad body gets a 400 naming the field); everything else passes through to the provider untouched,
 * so these bodies are `passThroughStrings` (message content may hold any string the provider takes).
 */
const model = modelName();
const maxTokens = z.number({ message: "must be a whole number" }).int("must be a whole number").positive("must be at least 1");
const stream = z.boolean({ message: "must be true or false" }).optional();

export const chatBody = passThroughStrings(
  z.looseObject({
    model,
    messages: z
      .array(
        z.looseObject({
          role: z.enum(["system", "developer", "user", "assistant", "tool", "function"], {
            message: "must be system, developer, user, assistant or tool",
          }),
        }),
        {
          error: (i) => (i.input === undefined ? "required: the conversation so far" : "must be an array of messages"),
        },
      )
      .min(1, "must hold at least one message"),
    stream,
    max_tokens: maxTokens.nullish(),
    tools: z.array(z.looseObject({ type: z.string() })).nullish(),
  }),
);

const anthropicContent = z.union([z.string(), z.array(z.looseObject({ type: z.string() }))], {
  message: "must be a string or an array of content blocks",
});
export const messagesBody = passThroughStrings(
  z.looseObject({
    model,
    max_tokens: z
      .number({ error: (i) => (i.input === undefined ? "required: the most tokens to generate" : "must be a whole number") })
      .int("must be a whole number")
      .positive("must be at least 1"),
    // "system" entries are not Anthropic's API but Claude Code sends them; the route hoists them into `system`.
    messages: z
      .array(
        z.looseObject({
          role: z.enum(["user", "assistant", "system"], { message: "must be user or assistant" }),
          content: anthropicContent,
        }),
        {
          error: (i) => (i.input === undefined ? "required: the conversation so far" : "must be an array of messages"),
        },
      )
      .min(1, "must hold at least one message"),
    system: anthropicContent.optional(),
    stream,
    tools: z.array(z.looseObject({ name: z.string() })).optional(),
  }),
);

export const countTokensBody = passThroughStrings(
  z.looseObject({
    model,
    messages: z.array(z.looseObject({ role: z.enum(["user", "assistant"], { message: "must be user or assistant" }) }), {
      message: "must be an array of messages",
    }),
  }),
);

export const responsesBody = passThroughStrings(
  z.looseObject({
    model,
    input: z.union([z.string(), z.array(z.looseObject({}))], {
      error: (i) =>
        i.input === undefined ? "required: a string or an array of input items" : "must be a string or an array of input items",
    }),
    instructions: z.string().nullish(),
    stream,
    max_output_tokens: maxTokens.nullish(),
    // Responses are not stored, so a caller must send the whole conversation (Codex does, with store: false).
    previous_response_id: z
      .null({ message: "is not supported: this gateway does not store responses; send the full input instead" })
      .optional(),
  }),
);

export const completionsBody = passThroughStrings(
  z.looseObject({
    model,
    prompt: z.union([z.string(), z.array(z.string())], { message: "must be a string or an array of strings" }),
    stream,
  }),
);

export const embeddingsBody = passThroughStrings(
  z.looseObject({
    model,
    input: z.union([z.string(), z.array(z.string()), z.array(z.number()), z.array(z.array(z.number()))], {
      message: "must be a string or an array",
    }),
  }),
);

const costPerToken = z
  .number({ error: "must be a number of US dollars per token (e.g. 0.000003 for $3 per million)" })
  .min(0, "must be 0 or more")
  .max(1, "at most 1 (US dollars per token)");
const deploymentParams = {
  api_base: z.url({ message: "must be a URL" }).max(2048, "at most 2048 characters").optional(),
  api_key: safeString({ min: 1, max: 16_384, line: true }).optional(),
  rpm: z.number({ error: "must be a whole number" }).int("must be a whole number").positive("must be at least 1").optional(),
  tpm: z.number({ error: "must be a whole number" }).int("must be a whole number").positive("must be at least 1").optional(),
  order: z.number({ error: "must be a whole number" }).int("must be a whole number").min(0).optional(),
  timeout: z.number({ error: "must be a number of seconds" }).positive("must be more than 0").optional(),
  /** USD per token; without them a model missing from the bundled price table is logged as "no price". */
  input_cost_per_token: costPerToken.optional(),
  output_cost_per_token: costPerToken.optional(),
};

export const newModelBody = z.object({
  model_name: modelName("the public model name"),
  litellm_params: z.looseObject({
    model: modelName("provider/model, e.g. openai/gpt-4o or anthropic/claude-sonnet-4-5"),
    ...deploymentParams,
  }),
  // `id` becomes the deployment id, echoed in the x-litellm-model-id header.
  model_info: z.looseObject({ id: idString(200).optional() }).optional(),
});

/**
 * LiteLLM's `/model/update`: `model_info.id` names the stored deployment; the fields given replace
 * its own (the provider key only when a new one is given; `null` prices remove the price).
 */
export type NewModelInput = z.input<typeof newModelBody>;

export const updateModelBody = z.object({
  model_name: modelName("the public model name").optional(),
  litellm_params: z
    .looseObject({
      model: modelName("provider/model, e.g. openai/gpt-4o or anthropic/claude-sonnet-4-5").optional(),
      ...deploymentParams,
      input_cost_per_token: costPerToken.nullable().optional(),
      output_cost_per_token: costPerToken.nullable().optional(),
    })
    .optional(),
  model_info: z.looseObject({ id: idString(200) }),
});
export type UpdateModelInput = z.infer<typeof updateModelBody>;

export const deleteModelBody = z.object({ id: idString(200) });
export const testModelBody = z.object({ model: modelName("the model to test") });

const date = z
  .string()
  .max(64, "must be a date")
  .refine((v) => !Number.isNaN(Date.parse(v)), "must be a date");

export const spendLogsQuery = z.object({
  api_key: safeString({ max: 512 }).optional(),
  key_id: safeString({ max: 200 }).optional(),
  key_alias: safeString({ max: 200 }).optional(),
  model: safeString({ max: 256 }).optional(),
  session_id: safeString({ max: 200 }).optional(),
  /** The agent whose sessions made the calls (rows stamped at call time, docs/sessions.md "Cost"). */
  agent_id: safeString({ max: 200 }).optional(),
  request_id: safeString({ max: 200 }).optional(),
  status: z.enum(["success", "failure"]).optional(),
  start_date: date.optional(),
  end_date: date.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** The Usage page's range: whole UTC days, at most a year; the end defaults to today, the start to 30 days before it. */
const day = z
  .string()
  .max(10, "must be a date (YYYY-MM-DD)")
  .refine((v) => /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v)), "must be a date (YYYY-MM-DD)");
export const spendUsageQuery = z
  .object({ start_date: day.optional(), end_date: day.optional() })
  .refine((q) => !q.start_date || !q.end_date || q.start_date <= q.end_date, {
    message: "must not be after end_date",
    path: ["start_date"],
  })
  .refine((q) => !q.start_date || !q.end_date || Date.parse(q.end_date) - Date.parse(q.start_date) <= 366 * 86_400_000, {
    message: "the range is at most 366 days",
    path: ["start_date"],
  });
export type SpendUsageQuery = z.infer<typeof spendUsageQuery>;

export const spendReportQuery = z.object({
  start_date: date.optional(),
  end_date: date.optional(),
});

/*
 * Response bodies (the dashboard's types are these, ui/src/lib/api/gateway.ts). LiteLLM-shaped
 * bodies are loose objects: fields LAP passes through (a config file's model_info, LiteLLM's own
 * spend-log fields, the external LiteLLM's settings) reach the caller unchanged.
 */
const nullableString = z.string().nullable();
const nullableNumber = z.number().nullable();

/** A model's last Test (POST /api/gateway/models/test), kept by LAP. */
export const modelCheckView = z.object({ ok: z.boolean(), latency_ms: z.number(), error: nullableString, checked_at: z.string() });

/** A deployment as /v1/model/info lists it; the provider key is never in it (`has_api_key` says whether one is set). */
export const modelInfoView = z.object({
  model_name: z.string(),
  litellm_params: z.object({ model: z.string(), api_base: z.string(), rpm: nullableNumber, tpm: nullableNumber, order: z.number() }),
  model_info: z.looseObject({
    id: z.string(),
    provider: z.enum(["openai", "anthropic"]),
    source: z.enum(["config", "database", "env"]),
    has_api_key: z.boolean(),
    input_cost_per_token: nullableNumber,
    output_cost_per_token: nullableNumber,
    /** false: calls are logged at $0 because nothing says what the model costs. */
    priced: z.boolean().optional(),
    last_test: modelCheckView.nullable().optional(),
  }),
});
export const modelInfoListView = z.object({ data: z.array(modelInfoView) });
export const modelDeletedView = z.object({ deleted: z.string() });

export const modelTestView = z.object({
  ok: z.boolean(),
  model: z.string(),
  latency_ms: z.number(),
  reply: nullableString.optional(),
  deployment: nullableString.optional(),
  error: z.string().optional(),
});

/** One upstream attempt of a call: retries, fallbacks and cooldowns (server/gateway/types.ts `Attempt`). */
const attemptView = z.looseObject({
  deployment: z.string(),
  model_group: z.string(),
  status: z.union([z.number(), z.string()]),
  error: z.string().optional(),
  ms: z.number(),
  cooldown: z.boolean().optional(),
});

/** A row of /spend/logs: LAP's columns in snake_case plus LiteLLM's own fields (api_key, call_type, metadata …). */
export const spendLogView = z.looseObject({
  request_id: z.string(),
  key_hash: nullableString,
  key_id: nullableString,
  key_alias: nullableString,
  route: z.string(),
  model_group: nullableString,
  deployment: nullableString,
  provider: nullableString,
  api_base: nullableString,
  prompt_tokens: z.number(),
  completion_tokens: z.number(),
  total_tokens: z.number(),
  spend: z.number(),
  /** false: the model had no price (spend 0 means unknown); null: no provider was called. */
  priced: z.boolean().nullable(),
  latency_ms: nullableNumber,
  ttft_ms: nullableNumber,
  stream: z.boolean(),
  status: z.enum(["success", "failure"]),
  http_status: nullableNumber,
  error: nullableString,
  attempts: z.array(attemptView),
  session_id: nullableString,
  agent_id: nullableString,
  end_user: nullableString,
  /** Present only with LAP_GATEWAY_STORE_PROMPTS=true, and only when one request_id is asked for. */
  request_body: z.unknown(),
  response_body: z.unknown(),
  start_time: z.string(),
  end_time: z.string(),
});
export type SpendLogView = z.infer<typeof spendLogView>;

const spendQueueView = z.object({ queued: z.number(), written: z.number(), dropped: z.number(), failedFlushes: z.number() });
export const dailySpendView = z.object({
  day: z.string(),
  key_id: nullableString,
  key_alias: nullableString,
  model_group: nullableString,
  requests: z.number(),
  failures: z.number(),
  spend: z.number(),
  prompt_tokens: z.number(),
  completion_tokens: z.number(),
});
export const spendReportView = z.object({ data: z.array(dailySpendView), queue: spendQueueView });

/** GET /api/gateway/settings: provider mode, the external LiteLLM's settings, router settings, the spend queue. */
export const gatewaySettingsView = z.looseObject({
  mode: z.enum(["lap", "litellm"]),
  missing: z.array(z.string()),
  base_url: nullableString,
  master_key_set: z.boolean(),
  config_file: nullableString,
  spend_queue: spendQueueView,
  router: z.object({
    routingStrategy: z.string(),
    numRetries: z.number(),
    allowedFails: z.number(),
    cooldownSeconds: z.number(),
    timeoutMs: z.number(),
    fallbacks: z.record(z.string(), z.array(z.string())),
  }),
});
