import { z } from "zod";
import { CONCURRENCY_POLICIES, SESSION_MODES } from "../../schema/schedules";
import { canonicalTimezone, cronProblem } from "./cron";

const required = (what: string) => ({
  error: (i: { input: unknown }) => (i.input === undefined ? `required: ${what}` : "must be a string"),
});

const timezone = z
  .string({ error: "must be an IANA time zone name such as Europe/Berlin" })
  .trim()
  .refine(
    (v) => canonicalTimezone(v) !== null,
    "not an IANA time zone this server knows (for example UTC, Europe/Berlin, America/New_York)",
  );

const cron = z
  .string(required("a cron expression such as 0 9 * * MON-FRI"))
  .trim()
  .min(1, "required: a cron expression such as 0 9 * * MON-FRI")
  .max(200, "at most 200 characters");

const fields = {
  name: z.string(required("a name")).trim().min(1, "required: a name").max(100, "at most 100 characters"),
  agent_id: z.string(required("the agent that runs it")).trim().min(1, "required: the agent that runs it").max(64),
  cron,
  timezone: timezone.default("UTC"),
  prompt: z
    .string(required("the prompt each run sends"))
    .min(1, "required: the prompt each run sends")
    .max(100_000, "at most 100000 characters"),
  /** new: every run starts a session; continue: runs talk to one session (a new one if it was stopped). */
  session_mode: z.enum(SESSION_MODES, { error: "must be new or continue" }).default("new"),
  /** skip: a slot whose previous run is still going is skipped; queue: it waits for it (one at most). */
  concurrency: z.enum(CONCURRENCY_POLICIES, { error: "must be skip or queue" }).default("skip"),
  /** A slot missed while LAP was down runs once when it is back (true) or is recorded as skipped. */
  catch_up: z.boolean({ error: "must be true or false" }).default(false),
};

/** The cron is checked in its time zone, and the error names `cron`. */
const checkCron = (b: { cron?: string; timezone?: string }, ctx: z.RefinementCtx) => {
  if (b.cron === undefined) return;
  const problem = cronProblem(b.cron, b.timezone ?? "UTC");
  if (problem) ctx.addIssue({ code: "custom", path: ["cron"], message: problem });
};

export const createScheduleBody = z.object(fields).strict().superRefine(checkCron);
export type CreateScheduleInput = z.input<typeof createScheduleBody>;

export const updateScheduleBody = z
  .object({
    name: fields.name.optional(),
    agent_id: fields.agent_id.optional(),
    cron: cron.optional(),
    timezone: timezone.optional(),
    prompt: fields.prompt.optional(),
    session_mode: z.enum(SESSION_MODES, { error: "must be new or continue" }).optional(),
    concurrency: z.enum(CONCURRENCY_POLICIES, { error: "must be skip or queue" }).optional(),
    catch_up: z.boolean({ error: "must be true or false" }).optional(),
  })
  .strict()
  .superRefine(checkCron);
export type UpdateScheduleInput = z.input<typeof updateScheduleBody>;

export const scheduleIdParams = z.object({ id: z.string().min(1).max(64) });

export const previewQuery = z
  .object({
    cron,
    timezone: timezone.default("UTC"),
    count: z.coerce.number({ error: "must be a number" }).int().min(1, "at least 1").max(20, "at most 20").default(5),
  })
  .superRefine(checkCron);

export const runsQuery = z.object({
  limit: z.coerce.number({ error: "must be a number" }).int().min(1, "at least 1").max(200, "at most 200").default(50),
  cursor: z.string().max(200).optional(),
});

export const RUN_VIEW_STATUSES = ["pending", "queued", "running", "completed", "failed", "interrupted", "skipped"] as const;

export const runView = z.object({
  id: z.string(),
  schedule_id: z.string(),
  /** schedule: fired on its slot; catch_up: a slot missed while LAP was down; manual: "run now". */
  trigger: z.enum(["schedule", "catch_up", "manual"]),
  slot_at: z.string().nullable(),
  /** pending: waiting for the previous run; queued/running: its turn's state; then how it ended. */
  status: z.enum(RUN_VIEW_STATUSES),
  session_id: z.string().nullable(),
  turn_id: z.string().nullable(),
  error: z.string().nullable(),
  /** Gateway spend of the run's session while the run lasted, in USD. */
  cost_usd: z.number(),
  created_at: z.string(),
  started_at: z.string().nullable(),
  ended_at: z.string().nullable(),
});
export type RunView = z.infer<typeof runView>;

export const scheduleView = z.object({
  id: z.string(),
  name: z.string(),
  agent_id: z.string(),
  agent_name: z.string().nullable(),
  cron: z.string(),
  timezone: z.string(),
  prompt: z.string(),
  session_mode: z.enum(SESSION_MODES),
  session_id: z.string().nullable(),
  concurrency: z.enum(CONCURRENCY_POLICIES),
  catch_up: z.boolean(),
  status: z.enum(["active", "paused"]),
  next_run_at: z.string().nullable(),
  /** The next slots (five), whether or not the schedule is paused. */
  next_runs: z.array(z.string()),
  last_run_at: z.string().nullable(),
  last_run: runView.nullable(),
  created_by: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type ScheduleView = z.infer<typeof scheduleView>;

export const scheduleListView = z.object({ data: z.array(scheduleView) });
export const runListView = z.object({ data: z.array(runView), next_cursor: z.string().nullable() });
export const previewView = z.object({ timezone: z.string(), next_runs: z.array(z.string()) });
