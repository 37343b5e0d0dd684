import { randomUUID } from "node:crypto";
import { auditedQuery, NO_AUDIT, type AuditEntry, type AuditPort } from "../server/audit/record";
import type { Principal } from "../server/auth/model";
import type { Database } from "../server/db/client";
import type { SecretBox } from "../server/lib/crypto";
import type { SlackEventStatus } from "../schema/slack";
import type { SlackFileRef } from "./files";

/** Everything the Slack module keeps in Postgres. Plain SQL: the claim needs one atomic statement. */
export interface IncomingMessage {
  eventId: string;
  teamId: string;
  channelId: string;
  messageTs: string;
  threadTs: string;
  userId: string;
  kind: "mention" | "dm" | "thread_reply" | "command";
  text: string;
  /** Files shared with the message, fetched when the turn starts (./files.ts); kept in `meta`. */
  files?: SlackFileRef[];
}

export interface EventRow extends IncomingMessage {
  id: string;
  status: SlackEventStatus;
  agentId: string | null;
  sessionId: string | null;
  turnId: string | null;
  error: string | null;
  attempts: number;
  duplicates: number;
  createdAt: string;
  updatedAt: string;
}

export type ClaimResult = { claimed: true; row: EventRow } | { claimed: false; previousStatus: SlackEventStatus | null };

const cols = (p = "") => `${p}id, ${p}event_id as "eventId", ${p}team_id as "teamId", ${p}channel_id as "channelId",
  ${p}message_ts as "messageTs", ${p}thread_ts as "threadTs", ${p}user_id as "userId", ${p}kind, ${p}text, ${p}status,
  ${p}agent_id as "agentId", ${p}session_id as "sessionId", ${p}turn_id as "turnId", ${p}error, ${p}attempts, ${p}duplicates,
  ${p}created_at as "createdAt", ${p}updated_at as "updatedAt", ${p}meta->'files' as files`;
const EVENT_COLS = cols();

export interface Installation {
  teamId: string;
  teamName: string;
  appId: string | null;
  botUserId: string;
  botToken: string;
  scopes: string;
}

export class SlackStore {
  constructor(private readonly deps: { database: Database; secretBox: SecretBox; audit?: AuditPort }) {}

  /** One statement and, when a caller made the change, its audit row, in one transaction. */
  private recorded<T extends Record<string, unknown>>(
    text: string,
    params: unknown[],
    entry?: (rows: T[]) => AuditEntry | null,
  ): Promise<T[]> {
    return auditedQuery(this.deps.database, this.deps.audit, text, params, entry);
  }
  private get q() {
    return this.deps.database.query.bind(this.deps.database);
  }

  /**
   * Writes the dedupe record, which is also the queued work, in one statement. A second delivery of
   * the same event (Slack retry) or of the same message (app_mention + message twin) is a duplicate,
   * unless the first attempt failed before its turn was enqueued: then the retry re-claims the row.
   */
  async claim(msg: IncomingMessage, retryReason?: string): Promise<ClaimResult> {
    const inserted = await this.q<EventRow>(
      `insert into slack_events (id, event_id, team_id, channel_id, message_ts, thread_ts, user_id, kind, text, status, attempts, meta)
       values ($1,$2,$3,$4,$5,$6,$7,$8,$9,'pending',0,$10::jsonb) on conflict do nothing returning ${EVENT_COLS}`,
      [
        randomUUID(),
        msg.eventId,
        msg.teamId,
        msg.channelId,
        msg.messageTs,
        msg.threadTs,
        msg.userId,
        msg.kind,
        msg.text,
        JSON.stringify(msg.files?.length ? { files: msg.files } : {}),
      ],
    );
    if (inserted[0]) return { claimed: true, row: inserted[0] };
    const rows = await this.q<EventRow & { previous: SlackEventStatus }>(
      `with prev as (
         select id, status from slack_events
         where event_id = $1 or (team_id = $2 and channel_id = $3 and message_ts = $4)
         order by created_at limit 1 for update)
       update slack_events e set duplicates = e.duplicates + 1, last_retry_reason = coalesce($5, e.last_retry_reason),
         status = case when prev.status = 'failed' then 'pending' else e.status end, updated_at = now()
       from prev where e.id = prev.id
       returning ${cols("e.")}, prev.status as previous`,
      [msg.eventId, msg.teamId, msg.channelId, msg.messageTs, retryReason ?? null],
    );
    const row = rows[0];
    if (row && row.previous === "failed") return { claimed: true, row: { ...row, status: "pending" } };
    return { claimed: false, previousStatus: row?.previous ?? null };
  }

  async getEvent(id: string): Promise<EventRow | null> {
    return (await this.q<EventRow>(`select ${EVENT_COLS} from slack_events where id = $1`, [id]))[0] ?? null;
  }

  /** pending -> processing, atomically: only one worker runs a row. */
  async startProcessing(id: string): Promise<boolean> {
    const rows = await this.q(
      `update slack_events set status = 'processing', attempts = attempts + 1, updated_at = now() where id = $1 and status = 'pending' returning id`,
      [id],
    );
    return rows.length === 1;
  }

  async updateEvent(
    id: string,
    patch: {
      status: SlackEventStatus;
      agentId?: string;
      sessionId?: string;
      turnId?: string;
      error?: string | null;
      bumpAttempt?: boolean;
    },
  ) {
    await this.q(
      `update slack_events set status = $2, agent_id = coalesce($3, agent_id), session_id = coalesce($4, session_id),
         turn_id = coalesce($5, turn_id), error = $6, attempts = attempts + $7, updated_at = now() where id = $1`,
      [
        id,
        patch.status,
        patch.agentId ?? null,
        patch.sessionId ?? null,
        patch.turnId ?? null,
        patch.error ?? null,
        patch.bumpAttempt ? 1 : 0,
      ],
    );
  }

  /** Rows to (re)process: pending ones nobody picked up (crash) and failed ones with attempts left. */
  async stuckEvents(olderThanMs: number, maxAttempts: number): Promise<EventRow[]> {
    return this.q<EventRow>(
      `select ${EVENT_COLS} from slack_events
       where ((status = 'pending') or (status = 'failed' and attempts < $2) or (status = 'processing'))
         and updated_at < now() - ($1::int * interval '1 millisecond') order by created_at limit 50`,
      [olderThanMs, maxAttempts],
    );
  }

  /** Moves a stuck row back to pending only if it is still stuck (so two replicas never both take it). */
  async reclaim(id: string, olderThanMs: number): Promise<boolean> {
    const rows = await this.q(
      `update slack_events set status = 'pending', updated_at = now()
       where id = $1 and status in ('pending', 'failed', 'processing') and updated_at < now() - ($2::int * interval '1 millisecond') returning id`,
      [id, olderThanMs],
    );
    return rows.length === 1;
  }

  /** Old inbox rows only matter for the Recent messages list; Slack stops retrying after minutes. */
  async pruneEvents(olderThanDays: number): Promise<number> {
    const rows = await this.q(
      `delete from slack_events where created_at < now() - ($1::int * interval '1 day') and status not in ('pending', 'processing') returning id`,
      [olderThanDays],
    );
    return rows.length;
  }

  async recentEvents(limit: number): Promise<EventRow[]> {
    return this.q<EventRow>(`select ${EVENT_COLS} from slack_events order by created_at desc, id limit $1`, [limit]);
  }

  async recordedTurnIds(sessionId: string): Promise<Set<string>> {
    const rows = await this.q<{ turnId: string }>(
      `select turn_id as "turnId" from slack_events where session_id = $1 and turn_id is not null`,
      [sessionId],
    );
    return new Set(rows.map((r) => r.turnId));
  }

  // Threads ----------------------------------------------------------------
  async threadSession(teamId: string, channelId: string, threadTs: string): Promise<{ sessionId: string; agentId: string } | null> {
    const rows = await this.q<{ sessionId: string; agentId: string }>(
      `select session_id as "sessionId", agent_id as "agentId" from slack_threads where team_id = $1 and channel_id = $2 and thread_ts = $3`,
      [teamId, channelId, threadTs],
    );
    return rows[0] ?? null;
  }

  /** Binds a thread to a session; if another worker won the race, returns the existing binding. */
  async bindThread(teamId: string, channelId: string, threadTs: string, sessionId: string, agentId: string) {
    await this.q(
      `insert into slack_threads (team_id, channel_id, thread_ts, session_id, agent_id) values ($1,$2,$3,$4,$5) on conflict do nothing`,
      [teamId, channelId, threadTs, sessionId, agentId],
    );
    return (await this.threadSession(teamId, channelId, threadTs))!;
  }

  async threadOfSession(sessionId: string): Promise<{ teamId: string; channelId: string; threadTs: string } | null> {
    const rows = await this.q<{ teamId: string; channelId: string; threadTs: string }>(
      `select team_id as "teamId", channel_id as "channelId", thread_ts as "threadTs" from slack_threads where session_id = $1 limit 1`,
      [sessionId],
    );
    return rows[0] ?? null;
  }

  async countThreads(teamId: string, channelId: string): Promise<number> {
    const rows = await this.q<{ n: number }>(`select count(*)::int as n from slack_threads where team_id = $1 and channel_id = $2`, [
      teamId,
      channelId,
    ]);
    return Number(rows[0]?.n ?? 0);
  }

  // Bindings ---------------------------------------------------------------
  async resolveAgent(teamId: string, channelId: string): Promise<string | null> {
    const rows = await this.q<{ agentId: string }>(
      `select agent_id as "agentId" from slack_bindings where team_id in ($1, '*') and channel_id in ($2, '*')
       order by (channel_id = '*'), (team_id = '*') limit 1`,
      [teamId, channelId],
    );
    return rows[0]?.agentId ?? null;
  }

  async listBindings() {
    return this.q<{ id: string; teamId: string; channelId: string; agentId: string; lapTeamId: string; createdAt: string }>(
      `select id, team_id as "teamId", channel_id as "channelId", agent_id as "agentId", lap_team_id as "lapTeamId", created_at as "createdAt" from slack_bindings order by team_id, channel_id`,
    );
  }

  /**
   * A binding maps a Slack workspace/channel to one LAP team: its agent's (docs/security.md "Users,
   * teams and roles"). Sessions started from Slack belong to that team, so its members see them.
   * Linear bindings (issue 20) follow the same rule: the team is the bound agent's.
   */
  async upsertBinding(teamId: string, channelId: string, agentId: string, actor?: Principal) {
    const rows = await this.recorded<{ id: string; lap_team_id: string }>(
      `insert into slack_bindings (id, team_id, channel_id, agent_id, lap_team_id)
         values ($1,$2,$3,$4, coalesce((select a.team_id from agents a where a.id = $4), 'team_default'))
       on conflict (team_id, channel_id) do update set agent_id = excluded.agent_id, lap_team_id = excluded.lap_team_id returning id, lap_team_id`,
      [randomUUID(), teamId, channelId, agentId],
      ([r]) =>
        actor
          ? {
              actor,
              action: "slack_binding.set",
              objectType: "slack_binding",
              objectId: r!.id,
              teamId: r!.lap_team_id,
              after: { team_id: teamId, channel_id: channelId, agent_id: agentId },
            }
          : null,
    );
    return rows[0]!.id;
  }

  async deleteBinding(id: string, actor?: Principal): Promise<boolean> {
    const rows = await this.recorded<{ id: string; team_id: string; channel_id: string; agent_id: string; lap_team_id: string }>(
      `delete from slack_bindings where id = $1 returning id, team_id, channel_id, agent_id, lap_team_id`,
      [id],
      ([r]) =>
        r && actor
          ? {
              actor,
              action: "slack_binding.delete",
              objectType: "slack_binding",
              objectId: id,
              teamId: r.lap_team_id,
              before: { team_id: r.team_id, channel_id: r.channel_id, agent_id: r.agent_id },
              after: null,
            }
          : null,
    );
    return rows.length === 1;
  }

  // DM allow-list ----------------------------------------------------------
  async dmAllowlist(teamId?: string): Promise<Array<{ teamId: string; userId: string }>> {
    return teamId
      ? this.q(`select team_id as "teamId", user_id as "userId" from slack_dm_allowlist where team_id in ($1, '*') order by user_id`, [
          teamId,
        ])
      : this.q(`select team_id as "teamId", user_id as "userId" from slack_dm_allowlist order by team_id, user_id`);
  }

  /** Replaces one team's list in a transaction, so a reader never sees it half-written. */
  async replaceDmAllowlist(teamId: string, userIds: string[], actor?: Principal) {
    await this.deps.database.transaction(async (tx) => {
      const before = await tx.query<{ user_id: string }>(`delete from slack_dm_allowlist where team_id = $1 returning user_id`, [teamId]);
      for (const userId of userIds)
        await tx.query(`insert into slack_dm_allowlist (team_id, user_id) values ($1,$2) on conflict do nothing`, [teamId, userId]);
      if (actor) {
        await (this.deps.audit ?? NO_AUDIT).record(tx, {
          actor,
          action: "slack_dm_allowlist.set",
          objectType: "slack_workspace",
          objectId: teamId,
          before: { user_ids: before.map((b) => b.user_id).sort() },
          after: { user_ids: [...userIds].sort() },
        });
      }
    });
  }

  // Installations ----------------------------------------------------------
  async saveInstallation(i: Installation & { installedBy?: string }) {
    await this.q(
      `insert into slack_installations (team_id, team_name, app_id, bot_user_id, bot_token_sealed, scopes, installed_by)
       values ($1,$2,$3,$4,$5,$6,$7)
       on conflict (team_id) do update set team_name = excluded.team_name, app_id = excluded.app_id, bot_user_id = excluded.bot_user_id,
         bot_token_sealed = excluded.bot_token_sealed, scopes = excluded.scopes, installed_by = excluded.installed_by, updated_at = now()`,
      [i.teamId, i.teamName, i.appId, i.botUserId, this.deps.secretBox.encrypt(i.botToken), i.scopes, i.installedBy ?? null],
    );
  }

  async installation(teamId: string): Promise<Installation | null> {
    const rows = await this.q<Omit<Installation, "botToken"> & { sealed: string }>(
      `select team_id as "teamId", team_name as "teamName", app_id as "appId", bot_user_id as "botUserId", scopes, bot_token_sealed as sealed
       from slack_installations where team_id = $1`,
      [teamId],
    );
    const row = rows[0];
    if (!row) return null;
    const { sealed, ...rest } = row;
    return { ...rest, botToken: this.deps.secretBox.decrypt(sealed) };
  }

  /** For display: never includes the token. */
  async listInstallations() {
    return this.q<{ teamId: string; teamName: string; botUserId: string; scopes: string; createdAt: string }>(
      `select team_id as "teamId", team_name as "teamName", bot_user_id as "botUserId", scopes, created_at as "createdAt" from slack_installations order by created_at`,
    );
  }

  async deleteInstallation(teamId: string, actor?: Principal): Promise<boolean> {
    const rows = await this.recorded<{ team_id: string; team_name: string }>(
      `delete from slack_installations where team_id = $1 returning team_id, team_name`,
      [teamId],
      ([r]) =>
        r && actor
          ? {
              actor,
              action: "slack_installation.delete",
              objectType: "slack_workspace",
              objectId: teamId,
              before: { team_name: r.team_name },
              after: null,
            }
          : null,
    );
    return rows.length === 1;
  }

  // OAuth state ------------------------------------------------------------
  async createOauthState(state: string, createdBy: string, ttlMs: number) {
    await this.q(
      `insert into slack_oauth_states (state, created_by, expires_at) values ($1,$2, now() + ($3::int * interval '1 millisecond'))`,
      [state, createdBy, ttlMs],
    );
  }

  // Replays ----------------------------------------------------------------
  /**
   * Records the signature of a verified interactivity or slash-command request; false when some
   * replica already recorded it (a replay). Kept past Slack's 5-minute timestamp window, then pruned.
   */
  async firstSeen(signature: string): Promise<boolean> {
    const rows = await this.q(`insert into slack_seen_requests (signature) values ($1) on conflict do nothing returning signature`, [
      signature,
    ]);
    return rows.length === 1;
  }

  async pruneSeenRequests(): Promise<void> {
    await this.q(`delete from slack_seen_requests where seen_at < now() - interval '15 minutes'`);
  }

  /** One atomic update: a state works once, and only before it expires. */
  async consumeOauthState(state: string): Promise<boolean> {
    const rows = await this.q(
      `update slack_oauth_states set used_at = now() where state = $1 and used_at is null and expires_at > now() returning state`,
      [state],
    );
    return rows.length === 1;
  }
}
