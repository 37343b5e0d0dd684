/**
 * The sandbox runtime: LAP's RuntimeAdapter (server/runtimes/adapter.ts) on top of any
 * SandboxProvider. A LAP session gets a sandbox (warm-pool claim, else cold create), its repository
 * cloned into the workspace, and a late binding with a session-scoped gateway key. When the sandbox
 * dies, or was stopped when idle, the next call gets a new sandbox on the same workspace, the
 * history replayed to the harness, and (after a death) `session.recovered` in the event stream.
 */
import type {
  AgentDefinition,
  RemoteAgentRef,
  RemoteSessionState,
  RuntimeAdapter,
  RuntimeEvent,
  StreamOptions,
} from "../../runtimes/adapter";
import { MessageNotTakenError, RuntimeError, TurnLostError } from "../../runtimes/adapter";
import type { ContentPart, SessionEventData } from "../../../schema/session-events";
import { clearSandboxTrace, setSandboxTrace } from "../../tracing/sandbox-trace";
import { memoryLimitText } from "../provider";
import { SpanStatusCode, trace } from "@opentelemetry/api";
import { acquireSandbox } from "./acquire";
import { recordLifecycle } from "./lifecycle-audit";
import { killedAtLimitSince, sandboxLostAtMemoryLimit, sandboxMemoryKills } from "./memory-limit";
import type { Live, SandboxRuntimeDeps } from "./runtime-deps";
import { endOfTurn, orNotTaken, sendContent, supervisorGone } from "./turns";

export type { SandboxRuntimeDeps } from "./runtime-deps";

const signatureOf = (a: AgentDefinition) =>
  Bun.hash(JSON.stringify([a.model, a.systemPrompt, a.environment, a.repoUrl, a.repoBranch, a.tools, a.approvalRequiredTools])).toString(
    16,
  );

export class SandboxRuntimeAdapter implements RuntimeAdapter {
  /** The harnesses send each streamed text chunk as an `agent.message` (harness/adapters/types.ts). */
  readonly messageChunks = true;
  private live = new Map<string, Live>();
  private pending = new Map<string, Promise<Live>>();

  constructor(private deps: SandboxRuntimeDeps) {}

  async check() {
    await this.deps.provider.list();
  }

  async ensureAgent(agent: AgentDefinition, existing: RemoteAgentRef | null) {
    const signature = signatureOf(agent);
    if (existing && existing.signature === signature) return { ...existing, reused: true };
    return { remoteAgentId: agent.id, remoteEnvironmentId: null, signature, reused: false };
  }

  async startSession(input: { ref: RemoteAgentRef; agent: AgentDefinition; localSessionId: string; title: string }): Promise<string> {
    await this.acquire(input.localSessionId, input.agent, null);
    return input.localSessionId;
  }

  /** Gets the session a running sandbox: a warm claim, or cold on `workspaceId` (new, or the session's own). */
  private acquire(sessionId: string, agent: AgentDefinition, workspaceId: string | null, recovered?: string): Promise<Live> {
    const existing = this.pending.get(sessionId);
    if (existing) return existing;
    const tracer = this.deps.tracer ?? trace.getTracer("lap");
    const p = tracer
      .startActiveSpan("lap.sandbox.start", { attributes: { "lap.session_id": sessionId, "lap.agent_id": agent.id } }, async (span) => {
        try {
          const live = await this.doAcquire(sessionId, agent, workspaceId, recovered);
          span.setAttribute("lap.sandbox_id", live.sandboxId);
          return live;
        } catch (err) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message.slice(0, 200) });
          throw err;
        } finally {
          span.end();
        }
      })
      .finally(() => this.pending.delete(sessionId));
    this.pending.set(sessionId, p);
    return p;
  }

  private async doAcquire(sessionId: string, agent: AgentDefinition, workspaceId: string | null, recovered?: string): Promise<Live> {
    const { live, kind } = await acquireSandbox(this.deps, sessionId, agent, workspaceId, recovered);
    this.live.set(sessionId, live);
    await this.lifecycle(sessionId, live.sandboxId, "sandbox.start", {
      start: kind,
      agent_id: agent.id,
      workspace_id: live.workspaceId,
      ...(recovered ? { recovered } : {}),
    });
    return live;
  }

  /** A sandbox's start or stop in the audit trail, with its row's change (./lifecycle-audit.ts). */
  private lifecycle(
    sessionId: string,
    sandboxId: string,
    action: string,
    detail: Record<string, unknown>,
    change?: { sql: string; params: unknown[] },
  ) {
    return recordLifecycle(this.deps, { sessionId, sandboxId, action, detail, change });
  }

  private healing = new Map<string, Promise<Live>>();

  /**
   * The session's sandbox, brought back (same workspace, history replayed) if it died or was stopped.
   * `probe`: the caller has a reason to doubt it (a stream re-opened after a drop, a state check), so a
   * running sandbox's supervisor is asked too (one round trip; turns.ts `supervisorGone`).
   */
  private ensureLive(sessionId: string, probe = false): Promise<Live> {
    // One recovery per session at a time: the pod monitor and the next message may both ask.
    const running = this.healing.get(sessionId);
    if (running) return running;
    const p = this.heal(sessionId, probe).finally(() => this.healing.delete(sessionId));
    this.healing.set(sessionId, p);
    return p;
  }

  /** The session whose live sandbox this is, when this LAP process serves it. */
  sessionOfSandbox(sandboxId: string): string | null {
    for (const [sessionId, live] of this.live) if (live.sandboxId === sandboxId) return sessionId;
    return null;
  }

  /** Brings a session's sandbox back now (its pod was lost), rather than at the next message. */
  async recover(sessionId: string): Promise<void> {
    await this.ensureLive(sessionId);
  }

  private async heal(sessionId: string, probe: boolean): Promise<Live> {
    const cur = this.live.get(sessionId);
    if (cur) {
      const h = await this.deps.provider.get(cur.sandboxId);
      // A running sandbox whose supervisor is gone is dead too (turns.ts `supervisorGone`); destroyed below.
      const supervisorDead = probe && h?.state === "ready" && (await supervisorGone(cur));
      if (h?.state === "ready" && !supervisorDead) return cur;
      const died = h?.state !== "stopped";
      // Read before the destroy below: the kills at the memory limit since the lost turn began.
      const atMemoryLimit = died && killedAtLimitSince(h?.info, cur.oomKillsAtTurnStart);
      const limitMb = typeof h?.info.memoryLimitMb === "number" ? h.info.memoryLimitMb : undefined;
      const why = supervisorDead
        ? `its supervisor stopped answering${atMemoryLimit ? ` after kills at its memory limit (${memoryLimitText(limitMb)})` : ""}`
        : h?.error;
      this.deps.logger.warn(
        { session_id: sessionId, sandbox_id: cur.sandboxId, state: supervisorDead ? "supervisor gone" : (h?.state ?? "gone") },
        died ? "sandbox died; recovering" : "restarting stopped sandbox",
      );
      this.live.delete(sessionId);
      clearSandboxTrace(cur.sandboxId);
      await this.lifecycle(
        sessionId,
        cur.sandboxId,
        died ? "sandbox.died" : "sandbox.stop",
        { reason: why ?? (died ? "sandbox gone" : "stopped") },
        {
          sql: `update sandboxes set status = $2, reason = $3, updated_at = now() where id = $1 and status <> 'stopped'`,
          params: [cur.rowId, died ? "dead" : "stopped", why ?? null],
        },
      );
      await this.deps.provider.destroy(cur.sandboxId).catch(() => {});
      const next = await this.acquire(sessionId, cur.agent, cur.workspaceId, died ? (why ?? "sandbox gone") : undefined);
      if (died && cur.inFlight) {
        next.lost = why ?? "sandbox gone";
        if (atMemoryLimit) next.lostAtMemoryLimit = { limitMb };
      }
      return next;
    }
    // After a LAP restart: nothing in memory; the session's last sandbox row has its workspace.
    const [row] = await this.deps.database.query<{ workspace_id: string; agent_id: string }>(
      `select workspace_id, agent_id from sandboxes where session_id = $1 order by created_at desc limit 1`,
      [sessionId],
    );
    if (!row) throw new RuntimeError(`no sandbox was ever started for session ${sessionId}`, 404);
    const agent = await this.agentDefinition(row.agent_id);
    return this.acquire(sessionId, agent, row.workspace_id, "LAP restarted");
  }

  /**
   * Why the sandbox a cursor names is gone, when this process did not see the turn die in it (LAP
   * restarted, or another recovery replaced it first): the reason its row was closed with, if any.
   */
  private async lostReason(sandboxId: string): Promise<string> {
    const [row] = await this.deps.database.query<{ reason: string | null }>(
      `select reason from sandboxes where sandbox_id = $1 and reason is not null order by created_at desc limit 1`,
      [sandboxId],
    );
    return row?.reason ?? "it was gone when LAP restarted";
  }

  private async agentDefinition(agentId: string): Promise<AgentDefinition> {
    const agent = await this.deps.agents.definition(agentId);
    if (!agent) throw new RuntimeError(`agent ${agentId} no longer exists`, 404);
    return agent;
  }

  async sendMessage(sessionId: string, content: ContentPart[]): Promise<void> {
    const live = await this.ensureLive(sessionId);
    await orNotTaken(this.deps.provider, live, () => this.startTurn(live, content)).catch((err) => {
      if (err instanceof MessageNotTakenError) live.inFlight = undefined;
      throw err;
    });
  }

  private async startTurn(live: Live, content: ContentPart[]): Promise<void> {
    live.inFlight = content;
    live.lastActivity = Date.now();
    // The harness's model and MCP calls through the LAP bridge join this turn's trace.
    setSandboxTrace(live.sandboxId);
    // A turn answering an approval continues the one that asked: its count still holds.
    live.oomKillsAtTurnStart ??= await this.oomKills(live);
    await sendContent(live, content);
  }

  private async oomKills(live: Live): Promise<number | null> {
    return (await sandboxMemoryKills(this.deps.provider, live.sandboxId)).kills;
  }

  async interrupt(sessionId: string): Promise<void> {
    await this.live.get(sessionId)?.client.interrupt();
  }

  async *streamEvents(sessionId: string, opts: StreamOptions): AsyncIterable<RuntimeEvent> {
    // A re-opened stream (after a drop) checks the supervisor: a dead one must not look alive.
    const live = await this.ensureLive(sessionId, Boolean(opts.afterEventId));
    const [sandboxOfCursor, seq] = (opts.afterEventId ?? "").split(":");
    // A cursor from this sandbox resumes there; no cursor (a new turn; LAP sends the message once the
    // stream is open): only what comes next. A cursor from an older sandbox: the turn is lost (below).
    const after =
      sandboxOfCursor === live.sandboxId
        ? Number(seq) || 0
        : Number((await orNotTaken(this.deps.provider, live, () => live.client.health())).last_seq) || 0;
    if (live.recovered) {
      const reason = live.recovered;
      live.recovered = undefined;
      yield {
        event: { type: "session.recovered", reason, sandbox_id: live.sandboxId } as SessionEventData,
        providerEventId: `${live.sandboxId}:recovered`,
      };
    }
    // The turn being streamed ran in a sandbox that is gone (its cursor names an older sandbox, or it
    // died under this LAP mid-turn): the new sandbox never heard of it, so it cannot finish.
    // Only a resumed stream: a new turn's (LAP closed the lost one some other way) starts clean.
    const resuming = opts.resuming ?? Boolean(opts.afterEventId);
    const lostIn = resuming
      ? (live.lost ?? (sandboxOfCursor && sandboxOfCursor !== live.sandboxId ? await this.lostReason(sandboxOfCursor) : undefined))
      : undefined;
    live.lost = resuming ? live.lost : undefined;
    const lostAtMemoryLimit = lostIn ? live.lostAtMemoryLimit : undefined;
    live.lostAtMemoryLimit = resuming ? live.lostAtMemoryLimit : undefined;
    if (lostIn) {
      live.lost = undefined;
      live.lostAtMemoryLimit = undefined;
      live.inFlight = undefined;
      // Killed at its memory limit: the turn ends the way a kill the sandbox survived ends it (memory-limit.ts).
      if (lostAtMemoryLimit) {
        yield { event: sandboxLostAtMemoryLimit(lostAtMemoryLimit.limitMb), providerEventId: `${live.sandboxId}:lost` };
        return;
      }
      throw new TurnLostError(
        "sandbox_lost",
        `The sandbox running this turn was lost (${lostIn}); the reply so far is incomplete. The session goes on with its history on a new sandbox.`,
      );
    }
    if (live.given) {
      const given = live.given;
      live.given = undefined;
      // Its cursor is the supervisor's seq before the turn: a stream resumed from it misses nothing and repeats nothing.
      yield { event: { type: "session.context", ...given } as SessionEventData, providerEventId: `${live.sandboxId}:${after}` };
    }
    opts.onOpen?.();
    for await (const e of live.client.stream(after, { signal: opts.signal })) {
      live.lastActivity = Date.now();
      // LAP already stored the user's message when it sent it; the supervisor's echo is not news.
      if (e.type === "session.bound" || e.type === "user.message" || e.type === "user.tool_confirmation") continue;
      const { seq: s, ...event } = e;
      if (e.type === "session.status_idle" || e.type === "session.error") {
        live.inFlight = undefined;
        yield { event: await endOfTurn(this.deps.provider, live, event as SessionEventData), providerEventId: `${live.sandboxId}:${s}` };
        continue;
      }
      yield { event: event as SessionEventData, providerEventId: `${live.sandboxId}:${s}` };
    }
  }

  async sessionState(sessionId: string): Promise<RemoteSessionState> {
    try {
      const cur = this.live.get(sessionId);
      if (
        cur &&
        !(await cur.client.health().then(
          () => true,
          () => false,
        ))
      ) {
        // The supervisor stopped answering: give the provider a moment to see the process exit.
        for (let i = 0; i < 100 && (await this.deps.provider.get(cur.sandboxId))?.state === "ready"; i++) await Bun.sleep(20);
      }
      const live = await this.ensureLive(sessionId, true);
      const health = await live.client.health();
      if (health.harness?.state === "failed") return "terminated";
      if (live.inFlight) return "running";
      // An adopted sandbox may be in the middle of a turn this LAP never sent: the supervisor knows.
      return (await live.client.status()) === "running" ? "running" : "idle";
    } catch (err) {
      this.deps.logger.warn({ err, session_id: sessionId }, "sandbox session state unknown");
      return "missing";
    }
  }

  async stopSession(sessionId: string): Promise<void> {
    const live = this.live.get(sessionId);
    this.live.delete(sessionId);
    if (live) clearSandboxTrace(live.sandboxId);
    await this.deps
      .revokeSessionKey?.(sessionId)
      .catch((err) => this.deps.logger.warn({ err, session_id: sessionId }, "could not revoke the session key"));
    // A stopped session is over: its sandbox goes (on kubernetes the SandboxClaim, and with it the
    // Sandbox, pod and Service); the workspace stays unless the provider keeps none (emptyDir).
    const rows = await this.deps.database.query<{ id: string; sandbox_id: string }>(
      `select id, sandbox_id from sandboxes where session_id = $1 and sandbox_id is not null and status in ('provisioning', 'claimed', 'stopped')`,
      [sessionId],
    );
    const targets = new Map(rows.map((r) => [r.id, r.sandbox_id]));
    if (live) targets.set(live.rowId, live.sandboxId);
    for (const [rowId, sandboxId] of targets) {
      await this.deps.provider
        .destroy(sandboxId)
        .catch((err) => this.deps.logger.warn({ err, sandbox_id: sandboxId }, "could not delete the sandbox of a stopped session"));
      await this.lifecycle(
        sessionId,
        sandboxId,
        "sandbox.destroy",
        { reason: "session stopped" },
        {
          sql: `update sandboxes set status = 'dead', reason = 'session stopped', updated_at = now() where id = $1`,
          params: [rowId],
        },
      );
    }
  }

  /** One idle sweep with each agent's own `idle_timeout_minutes` (default 60). */
  async sweepIdle(): Promise<string[]> {
    const minutes = await this.deps.agents.idleTimeoutsMinutes();
    return this.stopIdle((agentId) => (minutes.get(agentId) ?? 60) * 60_000);
  }

  /** Stops sandboxes idle longer than their agent allows; the next message starts a new one on the same workspace. */
  async stopIdle(idleMs: (agentId: string) => number): Promise<string[]> {
    const stopped: string[] = [];
    for (const [sessionId, live] of this.live) {
      if (live.inFlight || Date.now() - live.lastActivity < idleMs(live.agent.id)) continue;
      if ((await this.deps.provider.get(live.sandboxId))?.state !== "ready") continue;
      await this.deps.provider.stop(live.sandboxId);
      clearSandboxTrace(live.sandboxId);
      await this.lifecycle(
        sessionId,
        live.sandboxId,
        "sandbox.stop",
        { reason: "idle" },
        {
          sql: `update sandboxes set status = 'stopped', reason = 'idle', updated_at = now() where id = $1`,
          params: [live.rowId],
        },
      );
      stopped.push(sessionId);
    }
    return stopped;
  }
}
