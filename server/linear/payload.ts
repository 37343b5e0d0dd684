/**
 * The parts of Linear's `AgentSessionEvent` webhook LAP reads (docs/linear.md); everything else in
 * the body is ignored. Field names are Linear's.
 */
import { z } from "zod";

const id = z.string().min(1).max(200);
const text = (max: number) => z.string().max(max).nullish();

export const agentSessionEvent = z.object({
  type: z.literal("AgentSessionEvent"),
  action: z.string().max(50),
  organizationId: id,
  appUserId: id.nullish(),
  webhookTimestamp: z.number(),
  agentSession: z.object({
    id,
    issue: z.object({ id: id.nullish(), identifier: text(50), title: text(1000), description: text(100_000), url: text(2000) }).nullish(),
    comment: z.object({ id: id.nullish(), body: text(100_000) }).nullish(),
  }),
  agentActivity: z
    .object({
      id,
      signal: z.string().max(50).nullish(),
      content: z.object({ type: z.string().max(50).nullish(), body: text(100_000) }).nullish(),
    })
    .nullish(),
  promptContext: text(200_000),
});
export type AgentSessionEvent = z.infer<typeof agentSessionEvent>;

/** What one prompt may carry to the agent; the issue can be long, the turn should not be. */
export const MAX_PROMPT_CHARS = 32_000;
const cap = (s: string) => (s.length > MAX_PROMPT_CHARS ? `${s.slice(0, MAX_PROMPT_CHARS)}\n[… cut at ${MAX_PROMPT_CHARS} characters]` : s);

/** The first turn of a mention or a delegation: the issue's title and description, and the comment that asked. */
export function createdPrompt(e: AgentSessionEvent): string {
  const issue = e.agentSession.issue;
  const parts: string[] = [];
  const head = [issue?.identifier, issue?.title].filter(Boolean).join(": ");
  if (head) parts.push(`Linear issue ${head}${issue?.url ? `\n${issue.url}` : ""}`);
  if (issue?.description?.trim()) parts.push(`Description:\n${issue.description.trim()}`);
  const comment = e.agentSession.comment?.body?.trim();
  if (comment) parts.push(`Comment:\n${comment}`);
  // Neither issue nor comment in the payload: Linear's own summary of the context.
  if (parts.length === 0 && e.promptContext?.trim()) parts.push(e.promptContext.trim());
  return cap(parts.join("\n\n") || "You were mentioned in Linear; proceed with the task.");
}

/** A follow-up comment in the agent session. */
export function promptedPrompt(e: AgentSessionEvent): string {
  return cap(e.agentActivity?.content?.body?.trim() || "Proceed with your task.");
}

export const isStop = (e: AgentSessionEvent) => e.action === "prompted" && e.agentActivity?.signal === "stop";
