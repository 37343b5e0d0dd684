import type { WebClient } from "@slack/web-api";
import type { SlackMetricsSink } from "../server/metrics/recorders";
import type { Logger } from "../server/lib/logger";
import { KeyedLock } from "../server/lib/keyed-lock";
import { TERMINAL_ERROR, TERMINAL_OK, TERMINAL_STOPPED, textOf, type SessionEventLike, type SessionsPort } from "../server/sessions/port";
import { ReplyStream, type ReplyOutcome } from "./reply";
import type { EventRow, IncomingMessage, SlackStore } from "./store";
import { slackErrorCode, withRateLimit, type SlackClients } from "./web";
import { approvalMessage } from "./approval-blocks";
import type { WorkspaceAuthResolver } from "./workspace-auth";
import { withThreadContext } from "./backfill";
import { escapeSlack } from "./mrkdwn";
import { downloadSlackFiles } from "./files";

export const NO_AGENT_TEXT =
  "No agent answers in this channel yet. Pick one with `/lap agent <name>`, or ask an admin to bind one on LAP's Slack page.";
export const DM_BLOCKED_TEXT =
  "You do not have permission to DM this agent. Ask an admin to add your Slack user ID to the DM allow-list on LAP's Slack page.";

export interface SlackServiceDeps {
  store: SlackStore;
  sessions: SessionsPort;
  clients: SlackClients;
  auth: WorkspaceAuthResolver;
  /** LAP's public URL, read when a link is made (known only after listen without BASE_URL). */
  baseUrl: () => string;
  log: Logger;
  /** How long one reply may stream before it hands over to the dashboard. */
  turnTimeoutMs?: number;
  minEditIntervalMs?: number;
  maxAttempts?: number;
  /** Messages received, deduplicated and failed (server/metrics). */
  metrics?: SlackMetricsSink;
  /** SLACK_API_URL: where files may be downloaded from besides Slack's file host (./files.ts). */
  apiUrl?: string;
}

export type AcceptOutcome = "queued" | "duplicate" | "not_for_us";

/**
 * The Slack bot's core: `accept` runs inside Slack's 3-second window and only writes the inbox row;
 * `process` does everything else in the background and is safe to re-run for a row that failed.
 */
export class SlackService {
  private readonly threadLock = new KeyedLock();
  private readonly running = new Set<Promise<unknown>>();
  constructor(readonly deps: SlackServiceDeps) {}

  sessionUrl(sessionId: string) {
    return `${this.deps.baseUrl()}/sessions/${encodeURIComponent(sessionId)}`;
  }

  async accept(msg: IncomingMessage, retry?: { num?: number; reason?: string }): Promise<AcceptOutcome> {
    // A reply in a thread counts only if the bot owns the thread; no row otherwise, so the twin
    // app_mention of the same message (if any) is not mistaken for a duplicate.
    if (msg.kind === "thread_reply" && !(await this.deps.store.threadSession(msg.teamId, msg.channelId, msg.threadTs))) return "not_for_us";
    this.deps.metrics?.received();
    const claim = await this.deps.store.claim(msg, retry?.num ? `${retry.num}:${retry.reason ?? ""}` : undefined);
    if (!claim.claimed) {
      this.deps.metrics?.deduplicated();
      this.deps.log.info(
        { event_id: msg.eventId, retry_num: retry?.num, previous: claim.previousStatus },
        "slack duplicate delivery ignored",
      );
      return "duplicate";
    }
    this.background(this.process(claim.row.id));
    return "queued";
  }

  /** Keeps a handle on background work so tests and shutdown can wait for it. */
  background(p: Promise<unknown>) {
    const tracked = p.catch((err) => this.deps.log.error({ err: String(err) }, "slack background task failed"));
    this.running.add(tracked);
    void tracked.finally(() => this.running.delete(tracked));
  }

  async idle() {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  async process(rowId: string): Promise<void> {
    const { store, log } = this.deps;
    const row = await store.getEvent(rowId);
    if (row?.status !== "pending") return;
    if (!(await store.startProcessing(rowId))) return; // someone else took it
    let client: WebClient | undefined;
    // Set by startTurn as soon as the placeholder exists, so a later failure can close it.
    const ctx: { reply?: ReplyStream } = {};
    try {
      const auth = await this.deps.auth.forTeam(row.teamId);
      if (!auth) throw new Error(`workspace ${row.teamId} is not installed`);
      client = await this.deps.clients.forToken(auth.botToken);
      const c = client;
      const started = await this.threadLock.run(`${row.teamId}:${row.channelId}:${row.threadTs}`, () => this.startTurn(row, c, ctx));
      if (!started) return;
      const reply = started.reply;
      await store.updateEvent(rowId, {
        status: "enqueued",
        sessionId: started.sessionId,
        turnId: started.turnId,
        agentId: started.agentId,
      });
      const outcome = await this.streamTurn(started.sessionId, started.turnId, started.afterSeq, reply, client);
      await store.updateEvent(rowId, { status: "answered", error: outcome.kind === "error" ? outcome.message : null });
    } catch (err) {
      const message = slackErrorCode(err);
      this.deps.metrics?.failed();
      log.warn({ event_id: row.eventId, err: message }, "slack message processing failed; a retry may re-claim it");
      const current = await store.getEvent(rowId);
      if (current?.status === "enqueued") {
        // The turn is queued: never enqueue it again, just close the reply.
        await ctx.reply?.finish({ kind: "error", message });
        await store.updateEvent(rowId, { status: "answered", error: message });
      } else {
        await store.updateEvent(rowId, { status: "failed", error: message });
        const attempts = current?.attempts ?? 1;
        const last = attempts >= (this.deps.maxAttempts ?? 3);
        const text = `${message}${last ? "" : " (LAP will try again)"}`;
        if (ctx.reply) await ctx.reply.finish({ kind: "error", message: text }).catch(() => {});
        // No placeholder yet: say so on the first failure and when giving up, not on every retry.
        else if (client && (attempts === 1 || last)) {
          await client.chat
            .postMessage({
              channel: row.channelId,
              thread_ts: row.threadTs,
              text: `:warning: Could not start the agent: ${escapeSlack(text)}`,
            })
            .catch(() => {});
        }
      }
    }
  }

  /** Resolves agent and session and queues the turn. Returns null when the message is not answered. */
  private async startTurn(row: EventRow, client: WebClient, ctx: { reply?: ReplyStream }) {
    const { store, sessions } = this.deps;
    const thread = await store.threadSession(row.teamId, row.channelId, row.threadTs);
    if (row.kind === "thread_reply" && !thread) {
      await store.updateEvent(row.id, { status: "ignored", error: "thread not owned by the bot" });
      return null;
    }
    const agentId = thread?.agentId ?? (await store.resolveAgent(row.teamId, row.channelId));
    if (!agentId) {
      await this.postNotice(client, row, NO_AGENT_TEXT);
      await store.updateEvent(row.id, { status: "ignored", error: "no agent bound" });
      return null;
    }
    if (row.kind === "dm" && !thread && !(await this.dmAllowed(row.teamId, row.userId))) {
      await this.postNotice(client, row, DM_BLOCKED_TEXT);
      await store.updateEvent(row.id, { status: "blocked", error: "user not on the DM allow-list" });
      return null;
    }
    await client.reactions.add({ channel: row.channelId, timestamp: row.messageTs, name: "eyes" }).catch(() => {});
    let sessionId = thread?.sessionId;
    if (!sessionId) {
      const created = await sessions.createSession({
        agentId,
        title: `Slack ${row.channelId} ${row.threadTs}`,
        metadata: { source: "slack", team_id: row.teamId, channel_id: row.channelId, thread_ts: row.threadTs, user_id: row.userId },
      });
      sessionId = (await store.bindThread(row.teamId, row.channelId, row.threadTs, created.id, agentId)).sessionId;
    }
    // A session started mid-thread gets the thread so far as context (read before our placeholder exists).
    let text =
      !thread && row.threadTs !== row.messageTs
        ? await withThreadContext(client, row.channelId, row.threadTs, row.messageTs, row.text)
        : row.text;
    // Files shared with the message become its attachments; those left out are named before the text.
    const files =
      row.files?.length && client.token
        ? await downloadSlackFiles(row.files, { token: client.token, apiUrl: this.deps.apiUrl ?? "https://slack.com/api/" })
        : null;
    if (files?.notes.length) text = `${files.notes.join("\n")}\n\n${text}`;
    const agentName = (await sessions.findAgent(agentId).catch(() => null))?.name;
    const reply = new ReplyStream({
      client,
      channel: row.channelId,
      threadTs: row.threadTs,
      sessionId,
      sessionUrl: this.sessionUrl(sessionId),
      log: this.deps.log,
      username: agentName,
      minIntervalMs: this.deps.minEditIntervalMs,
    });
    await reply.start();
    ctx.reply = reply;
    // A retry after a crash may find its turn already queued: reuse it rather than send twice.
    const turn =
      (row.attempts > 0 ? await this.queuedEarlier(sessionId, row.text) : null) ??
      (await sessions.sendMessage(sessionId, text, files?.parts));
    return { reply, sessionId, agentId, turnId: turn.turnId, afterSeq: turn.afterSeq };
  }

  /** A user turn with this message's text that no Slack row has claimed yet. */
  private async queuedEarlier(sessionId: string, text: string) {
    const claimed = await this.deps.store.recordedTurnIds(sessionId);
    const match = (await this.deps.sessions.userTurns(sessionId)).find((t) => !claimed.has(t.turnId) && t.text.endsWith(text));
    return match ? { turnId: match.turnId, afterSeq: match.seq } : null;
  }

  private async dmAllowed(teamId: string, userId: string) {
    const list = await this.deps.store.dmAllowlist(teamId);
    return list.length === 0 || list.some((e) => e.userId === userId);
  }

  private async postNotice(client: WebClient, row: EventRow, text: string) {
    await client.chat.postMessage({ channel: row.channelId, thread_ts: row.threadTs, text });
  }

  /** Follows one turn's events into the reply until it ends, fails, stops or times out. */
  private streamTurn(sessionId: string, turnId: string, afterSeq: number, reply: ReplyStream, client: WebClient): Promise<ReplyOutcome> {
    return new Promise<ReplyOutcome>((resolve, reject) => {
      let done = false;
      let unsubscribe: (() => void) | undefined;
      const end = (outcome: ReplyOutcome) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        unsubscribe?.();
        reply.finish(outcome).then(() => resolve(outcome), reject);
      };
      const timer = setTimeout(() => end({ kind: "timeout" }), this.deps.turnTimeoutMs ?? 30 * 60_000);
      // Text already shown per message id: the pieces stream in as deltas, and the whole message that
      // replaces them adds only what was not shown (all of it when the deltas were compacted first).
      const shown = new Map<string, string>();
      const onEvent = (e: SessionEventLike) => {
        if (done || (e.turnId && e.turnId !== turnId)) return;
        const messageId = typeof e.data.message_id === "string" ? e.data.message_id : null;
        if (e.type === "agent.message_delta" && messageId) {
          const text = textOf(e);
          shown.set(messageId, (shown.get(messageId) ?? "") + text);
          reply.append(text);
        } else if (e.type === "agent.message") {
          const whole = textOf(e);
          const prior = messageId ? (shown.get(messageId) ?? "") : "";
          if (messageId) shown.delete(messageId);
          if (whole.startsWith(prior)) reply.append(whole.slice(prior.length));
          // The message's pieces are the reply's tail (nothing else comes between them): swap them for it.
          else if (reply.text.endsWith(prior)) reply.replace(reply.text.slice(0, reply.text.length - prior.length) + whole);
          else reply.append(whole);
        } else if (e.type === "agent.tool_use") {
          reply.toolUsed(String(e.data.name ?? e.data.tool ?? "tool"));
          if (e.data.evaluated_permission === "ask" && typeof e.data.id === "string")
            this.background(this.postApproval(client, sessionId, e.seq));
        } else if (TERMINAL_OK.has(e.type)) {
          const reason = (e.data.stop_reason as { type?: string } | undefined)?.type;
          end(reason === "interrupted" ? { kind: "stopped" } : reason === "requires_action" ? { kind: "waiting" } : { kind: "ok" });
        } else if (TERMINAL_ERROR.has(e.type))
          end({
            kind: "error",
            message: String((e.data.error as { message?: string })?.message ?? e.data.message ?? e.data.error ?? "Agent run failed."),
          });
        else if (TERMINAL_STOPPED.has(e.type)) end({ kind: "stopped" });
      };
      this.deps.sessions.subscribe(sessionId, afterSeq, onEvent).then(
        (unsub) => (done ? unsub() : (unsubscribe = unsub)),
        (err) => end({ kind: "error", message: `could not follow the session: ${slackErrorCode(err)}` }),
      );
    });
  }

  /**
   * Allow / Deny buttons in the thread for a tool call the agent asked about. The approval row was
   * written with the event, so it is there to read; the buttons carry only its id.
   */
  private async postApproval(client: WebClient, sessionId: string, askSeq: number) {
    const approval = await this.deps.sessions.approvalForAsk(sessionId, askSeq);
    const thread = await this.deps.store.threadOfSession(sessionId);
    if (!approval || !thread) return void this.deps.log.warn({ session_id: sessionId, seq: askSeq }, "slack: no approval row for an ask");
    await withRateLimit(() =>
      client.chat.postMessage({
        channel: thread.channelId,
        thread_ts: thread.threadTs,
        ...approvalMessage(approval),
        blocks: approvalMessage(approval).blocks as never,
      }),
    );
  }

  /** After a decision from Slack: the resumed turn answers in the thread like any other. */
  async followTurn(client: WebClient, sessionId: string, turnId: string, afterSeq: number) {
    const thread = await this.deps.store.threadOfSession(sessionId);
    if (!thread) return;
    const agentId = (await this.deps.store.threadSession(thread.teamId, thread.channelId, thread.threadTs))?.agentId;
    const agentName = agentId ? (await this.deps.sessions.findAgent(agentId).catch(() => null))?.name : undefined;
    const reply = new ReplyStream({
      client,
      channel: thread.channelId,
      threadTs: thread.threadTs,
      sessionId,
      sessionUrl: this.sessionUrl(sessionId),
      log: this.deps.log,
      username: agentName,
      minIntervalMs: this.deps.minEditIntervalMs,
    });
    await reply.start();
    await this.streamTurn(sessionId, turnId, afterSeq, reply, client);
  }

  /** Re-runs inbox rows a crash left pending or a failure left retryable. */
  async resumeStuck(olderThanMs = 60_000): Promise<number> {
    const rows = await this.deps.store.stuckEvents(olderThanMs, this.deps.maxAttempts ?? 3);
    let n = 0;
    for (const row of rows) {
      if (await this.deps.store.reclaim(row.id, olderThanMs)) {
        n += 1;
        this.background(this.process(row.id));
      }
    }
    return n;
  }
}
