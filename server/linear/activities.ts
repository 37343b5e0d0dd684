/**
 * What LAP says in a Linear agent session (docs/linear.md "What the agent posts"): a `thought`
 * as soon as a turn is queued (Linear marks an agent unresponsive after 10 s), each tool call as
 * an `action`, the agent's thinking as ephemeral `thought`s, and the turn's end as a `response`
 * (its answer, or "Stopped."), an `elicitation` (an approval waits in LAP) or an `error`.
 * Activities of one agent session are posted in order, with the workspace's token.
 */
import type { Logger } from "../lib/logger";
import { KeyedLock } from "../lib/keyed-lock";
import { TERMINAL_ERROR, TERMINAL_OK, TERMINAL_STOPPED, textOf, type SessionEventLike, type SessionsPort } from "../sessions/port";
import { LinearApiError, type ActivityContent, type LinearApi } from "./client";
import type { LinearStore } from "./store";

/** Refresh a token this long before Linear says it expires. */
const REFRESH_MARGIN_MS = 5 * 60_000;
const MAX_BODY_CHARS = 60_000;

export interface LinearActivitiesDeps {
  api: LinearApi;
  store: LinearStore;
  sessions: SessionsPort;
  /** LAP's public URL, read when a link is made. */
  baseUrl: () => string;
  log: Logger;
  /** How long one turn is followed before LAP hands over to the dashboard. */
  turnTimeoutMs?: number;
}

type TurnEnd =
  | { kind: "ok"; text: string }
  | { kind: "waiting" }
  | { kind: "error"; message: string }
  | { kind: "stopped" }
  | { kind: "timeout" };

export class LinearActivities {
  private readonly order = new KeyedLock();
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly deps: LinearActivitiesDeps) {}

  sessionUrl(sessionId: string) {
    return `${this.deps.baseUrl()}/sessions/${encodeURIComponent(sessionId)}`;
  }

  /** Keeps a handle on background work so tests and shutdown can wait for it. */
  background(p: Promise<unknown>) {
    const tracked = p.catch((err) => this.deps.log.error({ err: String(err) }, "linear background task failed"));
    this.running.add(tracked);
    void tracked.finally(() => this.running.delete(tracked));
  }

  async idle() {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  /** Posts one activity; a failure is logged (never with the token) and not thrown. */
  post(organizationId: string, agentSessionId: string, content: ActivityContent, ephemeral = false): Promise<boolean> {
    return this.order.run(agentSessionId, async () => {
      try {
        const token = await this.token(organizationId);
        if (!token) throw new LinearApiError(`workspace ${organizationId} is not installed`);
        await this.deps.api.createActivity(token, agentSessionId, clip(content), ephemeral);
        return true;
      } catch (err) {
        this.deps.log.warn(
          { organization_id: organizationId, agent_session_id: agentSessionId, type: content.type, err: (err as Error).message },
          "linear activity not posted",
        );
        return false;
      }
    });
  }

  /** The workspace's access token, refreshed first when it is about to expire. */
  private async token(organizationId: string): Promise<string | null> {
    const t = await this.deps.store.tokens(organizationId);
    if (!t) return null;
    if (t.refreshToken && t.expiresAt && t.expiresAt.getTime() - Date.now() < REFRESH_MARGIN_MS) {
      const fresh = await this.deps.api.refresh(t.refreshToken);
      await this.deps.store.updateTokens(organizationId, fresh);
      return fresh.accessToken;
    }
    return t.accessToken;
  }

  /** Acknowledges a queued turn at once, then follows it to its end (in the background). */
  startFollowing(organizationId: string, agentSessionId: string, sessionId: string, turnId: string, afterSeq: number, first: boolean) {
    const ack = first ? `Working on it in LAP: ${this.sessionUrl(sessionId)}` : "Continuing in the same LAP session.";
    this.background(
      (async () => {
        await this.post(organizationId, agentSessionId, { type: "thought", body: ack });
        const end = await this.follow(organizationId, agentSessionId, sessionId, turnId, afterSeq);
        await this.post(organizationId, agentSessionId, finalActivity(end, this.sessionUrl(sessionId)));
      })(),
    );
  }

  private follow(organizationId: string, agentSessionId: string, sessionId: string, turnId: string, afterSeq: number): Promise<TurnEnd> {
    return new Promise<TurnEnd>((resolve) => {
      let done = false;
      let text = "";
      let unsubscribe: (() => void) | undefined;
      const end = (outcome: TurnEnd) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        unsubscribe?.();
        resolve(outcome);
      };
      const timer = setTimeout(() => end({ kind: "timeout" }), this.deps.turnTimeoutMs ?? 30 * 60_000);
      const onEvent = (e: SessionEventLike) => {
        if (done || (e.turnId && e.turnId !== turnId)) return;
        if (e.type === "agent.message") text += textOf(e);
        else if (e.type === "agent.thinking" && typeof e.data.thinking === "string" && e.data.thinking.trim()) {
          void this.post(organizationId, agentSessionId, { type: "thought", body: e.data.thinking.trim() }, true);
        } else if (e.type === "agent.tool_use" || e.type === "agent.mcp_tool_use" || e.type === "agent.custom_tool_use") {
          void this.post(organizationId, agentSessionId, {
            type: "action",
            action: String(e.data.name ?? e.data.tool ?? "tool"),
            parameter: parameterOf(e.data.input),
          });
        } else if (TERMINAL_OK.has(e.type)) {
          const reason = (e.data.stop_reason as { type?: string } | undefined)?.type;
          end(reason === "interrupted" ? { kind: "stopped" } : reason === "requires_action" ? { kind: "waiting" } : { kind: "ok", text });
        } else if (TERMINAL_ERROR.has(e.type)) {
          end({
            kind: "error",
            message: String((e.data.error as { message?: string })?.message ?? e.data.message ?? e.data.error ?? "Agent run failed."),
          });
        } else if (TERMINAL_STOPPED.has(e.type)) end({ kind: "stopped" });
      };
      this.deps.sessions.subscribe(sessionId, afterSeq, onEvent).then(
        (unsub) => (done ? unsub() : (unsubscribe = unsub)),
        (err) => end({ kind: "error", message: `could not follow the session: ${(err as Error).message}` }),
      );
    });
  }
}

function finalActivity(end: TurnEnd, url: string): ActivityContent {
  switch (end.kind) {
    case "ok":
      return { type: "response", body: end.text.trim() || "(The agent finished without an answer.)" };
    case "waiting":
      return { type: "elicitation", body: `The agent is waiting for an approval in LAP: ${url}` };
    case "error":
      return { type: "error", body: `The agent run failed: ${end.message}` };
    case "stopped":
      return { type: "response", body: "Stopped." };
    case "timeout":
      return { type: "thought", body: `Still working; follow it in LAP: ${url}` };
  }
}

/** A tool call's input as one short line (Linear shows it next to the action's name). */
function parameterOf(input: unknown): string {
  if (input === undefined || input === null) return "";
  const s = typeof input === "string" ? input : JSON.stringify(input);
  return s.length > 300 ? `${s.slice(0, 300)}…` : s;
}

function clip(content: ActivityContent): ActivityContent {
  if ("body" in content && content.body.length > MAX_BODY_CHARS) return { ...content, body: `${content.body.slice(0, MAX_BODY_CHARS)}…` };
  return content;
}
