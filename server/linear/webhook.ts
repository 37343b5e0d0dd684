/**
 * POST /api/integrations/webhooks/linear (public; docs/linear.md, docs/security.md "Linear").
 * In order: size cap, signature and timestamp (401, nothing written), the event (others: 200,
 * ignored), then one transaction writes the dedupe row with what it started (a session, a turn in
 * the linked session, or a stop): a replay or redelivery finds the row and starts nothing more.
 * Linear waits 5 s for the answer, so posting back to Linear happens after it (activities.ts).
 */
import { createHash } from "node:crypto";
import type { Clock } from "../automation/clock";
import type { Dispatched, TurnDispatcher } from "../automation/dispatch";
import type { Database } from "../db/client";
import type { StoredEvent } from "../sessions/model";
import { ApiError, unauthorized } from "../lib/errors";
import type { Logger } from "../lib/logger";
import type { SessionsPort } from "../sessions/port";
import type { LinearActivities } from "./activities";
import { agentSessionEvent, createdPrompt, isStop, promptedPrompt, type AgentSessionEvent } from "./payload";
import { verifyLinearWebhook } from "./signature";
import type { LinearStore } from "./store";

export const MAX_LINEAR_BODY_BYTES = 1024 * 1024;
export const NO_AGENT_TEXT = "No LAP agent is bound to this Linear workspace yet. An admin can pick one on LAP's Integrations page.";

export interface LinearWebhookAnswer {
  ok: true;
  /** What LAP did: started a turn, stopped one, ignored the event, or found it had seen it already. */
  outcome: "started" | "stopped" | "ignored" | "refused" | "replayed";
  session_id?: string;
}

export interface LinearWebhookDeps {
  database: Database;
  store: LinearStore;
  dispatcher: TurnDispatcher;
  sessions: SessionsPort;
  activities: LinearActivities;
  webhookSecret: string;
  clock: Clock;
  log: Logger;
}

type Plan =
  | { kind: "replayed" }
  | { kind: "ignored"; reason: string; notify?: string }
  | { kind: "started"; dispatched: Dispatched; afterSeq: number; first: boolean }
  /** `active`: a turn was running or queued; its follower confirms the stop when it ends. */
  | { kind: "stop"; sessionId: string; active: boolean; cancelled: StoredEvent[] };

export class LinearWebhook {
  constructor(private readonly deps: LinearWebhookDeps) {}

  async receive(request: Request): Promise<LinearWebhookAnswer> {
    const declared = Number(request.headers.get("content-length") ?? 0);
    if (declared > MAX_LINEAR_BODY_BYTES) throw tooLarge(declared);
    const raw = await request.text();
    if (Buffer.byteLength(raw) > MAX_LINEAR_BODY_BYTES) throw tooLarge(Buffer.byteLength(raw));
    const check = verifyLinearWebhook(this.deps.webhookSecret, request.headers, raw, this.deps.clock.now());
    if (!check.ok) throw unauthorized(`Linear webhook refused: ${check.reason}`);

    // Other categories (issues, comments…) may be enabled on the same webhook: answered, not acted on.
    if (check.body.type !== "AgentSessionEvent") return { ok: true, outcome: "ignored" };
    const parsed = agentSessionEvent.safeParse(check.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ApiError(400, "invalid_request", "Not an agent session event LAP understands", [
        { field: issue?.path.join(".") || "body", message: issue?.message ?? "invalid" },
      ]);
    }
    const event = parsed.data;
    if (event.action !== "created" && event.action !== "prompted") return { ok: true, outcome: "ignored" };
    const key = dedupeKeyOf(event, request.headers, raw);

    let plan: Plan;
    try {
      plan = await this.deps.database.transaction((tx) => this.planInTx(tx, event, key));
    } catch (err) {
      if (!(err instanceof ApiError) || err.status >= 500) throw err;
      // The agent is paused or has no runtime: recorded (a redelivery does not retry it) and said in Linear.
      const recorded = await this.deps.database.transaction((tx) =>
        this.deps.store.recordEventInTx(tx, {
          dedupeKey: key,
          organizationId: event.organizationId,
          agentSessionId: event.agentSession.id,
          action: event.action,
          status: "refused",
          error: err.message,
        }),
      );
      if (recorded) this.notify(event, { type: "error", body: `LAP could not start the agent: ${err.message}` });
      return { ok: true, outcome: recorded ? "refused" : "replayed" };
    }
    return this.carryOut(event, plan);
  }

  private async planInTx(tx: Parameters<Parameters<Database["transaction"]>[0]>[0], event: AgentSessionEvent, key: string): Promise<Plan> {
    const { store, dispatcher } = this.deps;
    const base = {
      dedupeKey: key,
      organizationId: event.organizationId,
      agentSessionId: event.agentSession.id,
      action: isStop(event) ? "stop" : event.action,
    };
    const eventId = await store.recordEventInTx(tx, { ...base, status: "ignored" });
    if (!eventId) return { kind: "replayed" };
    const ignore = async (reason: string, notify?: string): Promise<Plan> => {
      await store.updateEventInTx(tx, eventId, { status: "ignored", error: reason });
      return { kind: "ignored", reason, notify };
    };
    // A workspace LAP holds no token for (never installed, or removed on the Integrations page) gets
    // no agent: nothing could be posted back there.
    if (!(await store.isInstalled(tx, event.organizationId))) return ignore("workspace not installed in LAP");
    const link = await store.agentSession(tx, event.agentSession.id);

    if (isStop(event)) {
      if (!link) return ignore("stop for an agent session LAP did not start");
      // Queued turns end here, before they start; the running one is marked (the replica running it
      // sees the mark if the interrupt signal misses it) and interrupted after the commit.
      const cancelled = await dispatcher.cancelQueuedInTx(tx, link.sessionId, "stopped from Linear");
      const running = await dispatcher.markRunningInterruptedInTx(tx, link.sessionId);
      await store.updateEventInTx(tx, eventId, { status: "stopped", sessionId: link.sessionId });
      return { kind: "stop", sessionId: link.sessionId, active: running || cancelled.length > 0, cancelled };
    }

    let agentId: string;
    let prompt: string;
    if (event.action === "prompted") {
      if (!link) return ignore("follow-up for an agent session LAP did not start");
      agentId = link.agentId;
      prompt = promptedPrompt(event);
    } else {
      // A redelivered `created` whose first delivery carried another key still maps to one session.
      if (link) return ignore("agent session already started");
      const bound = await store.resolveAgent(tx, event.organizationId);
      if (!bound) return ignore("no agent bound to this workspace", NO_AGENT_TEXT);
      agentId = bound;
      prompt = createdPrompt(event);
    }
    const issue = event.agentSession.issue;
    const dispatched = await dispatcher.startInTx(tx, {
      agentId,
      prompt,
      title: `Linear ${[issue?.identifier, issue?.title].filter(Boolean).join(": ") || event.agentSession.id}`,
      continueSessionId: link?.sessionId ?? null,
      creator: { ownerKeyId: null, ownerUserId: null },
    });
    if (!link || link.sessionId !== dispatched.sessionId) {
      await store.linkInTx(tx, {
        agentSessionId: event.agentSession.id,
        organizationId: event.organizationId,
        sessionId: dispatched.sessionId,
        agentId,
        issueId: issue?.id ?? null,
        issueIdentifier: issue?.identifier ?? null,
      });
    }
    await store.updateEventInTx(tx, eventId, { status: "started", sessionId: dispatched.sessionId, turnId: dispatched.turnId });
    const userEvent = dispatched.events.find((e) => e.type === "user.message");
    return { kind: "started", dispatched, afterSeq: userEvent?.seq ?? 0, first: !link || link.sessionId !== dispatched.sessionId };
  }

  private async carryOut(event: AgentSessionEvent, plan: Plan): Promise<LinearWebhookAnswer> {
    const { log, activities } = this.deps;
    const ids = { organization_id: event.organizationId, agent_session_id: event.agentSession.id, action: event.action };
    switch (plan.kind) {
      case "replayed":
        log.info(ids, "linear webhook replayed; nothing started");
        return { ok: true, outcome: "replayed" };
      case "ignored":
        log.info({ ...ids, reason: plan.reason }, "linear webhook ignored");
        if (plan.notify) this.notify(event, { type: "error", body: plan.notify });
        return { ok: true, outcome: "ignored" };
      case "stop": {
        this.deps.dispatcher.publish(plan.sessionId, plan.cancelled);
        await this.deps.sessions
          .interrupt(plan.sessionId)
          .catch((err) => log.warn({ ...ids, err: String(err) }, "linear stop: interrupt failed"));
        // A stopped turn's follower posts "Stopped." when it ends; with nothing running, say so now.
        if (!plan.active) this.notify(event, { type: "response", body: "Stopped." });
        log.info({ ...ids, session_id: plan.sessionId }, "linear stop signal");
        return { ok: true, outcome: "stopped", session_id: plan.sessionId };
      }
      case "started": {
        const d = plan.dispatched;
        this.deps.dispatcher.announce(d);
        activities.startFollowing(event.organizationId, event.agentSession.id, d.sessionId, d.turnId, plan.afterSeq, plan.first);
        log.info({ ...ids, session_id: d.sessionId, turn_id: d.turnId }, "linear agent session turn started");
        return { ok: true, outcome: "started", session_id: d.sessionId };
      }
    }
  }

  private notify(event: AgentSessionEvent, content: { type: "error" | "response"; body: string }) {
    this.deps.activities.background(this.deps.activities.post(event.organizationId, event.agentSession.id, content));
  }
}

/**
 * What makes two deliveries the same event: one `created` per agent session, one `prompted` per
 * agent activity (the stop signal is one too); anything else by Linear's delivery id, else the body.
 */
function dedupeKeyOf(event: AgentSessionEvent, headers: Headers, raw: string): string {
  if (event.action === "created") return `created:${event.agentSession.id}`;
  if (event.agentActivity?.id) return `prompted:${event.agentActivity.id}`;
  const delivery = headers.get("linear-delivery");
  if (delivery && /^[\x21-\x7e]{1,200}$/.test(delivery)) return `delivery:${delivery}`;
  return `body:${createHash("sha256").update(raw).digest("hex")}`;
}

const tooLarge = (bytes: number) =>
  new ApiError(413, "payload_too_large", `Webhook body is ${bytes} bytes; the limit is ${MAX_LINEAR_BODY_BYTES}`);
