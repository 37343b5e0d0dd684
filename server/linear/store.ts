import { randomUUID } from "node:crypto";
import type { Database, SqlTx } from "../db/client";
import type { SecretBox } from "../lib/crypto";
import type { Principal } from "../auth/model";
import { auditedQuery, type AuditEntry, type AuditPort } from "../audit/record";
import type { LinearEventStatus } from "../../schema/linear";
import type { TokenSet } from "./client";

/** Everything the Linear integration keeps in Postgres (schema/linear.ts). Tokens are sealed here and nowhere else. */
export interface LinearInstallation {
  organizationId: string;
  organizationName: string;
  urlKey: string;
  appUserId: string;
  scopes: string;
  createdAt: string;
}

export interface LinearEventRow {
  id: string;
  dedupeKey: string;
  organizationId: string;
  agentSessionId: string | null;
  action: string;
  status: LinearEventStatus;
  sessionId: string | null;
  turnId: string | null;
  error: string | null;
  createdAt: string;
}

const EVENT_COLS = `id, dedupe_key as "dedupeKey", organization_id as "organizationId", agent_session_id as "agentSessionId", action, status,
  session_id as "sessionId", turn_id as "turnId", error, created_at as "createdAt"`;

export class LinearStore {
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

  // OAuth state ------------------------------------------------------------
  async createOauthState(state: string, createdBy: string, ttlMs: number) {
    await this.q(
      `insert into linear_oauth_states (state, created_by, expires_at) values ($1,$2, now() + ($3::int * interval '1 millisecond'))`,
      [state, createdBy, ttlMs],
    );
  }

  /** One atomic update: a state works once, and only before it expires. Returns who started the install. */
  async consumeOauthState(state: string): Promise<{ createdBy: string | null } | null> {
    const rows = await this.q<{ createdBy: string | null }>(
      `update linear_oauth_states set used_at = now() where state = $1 and used_at is null and expires_at > now() returning created_by as "createdBy"`,
      [state],
    );
    return rows[0] ?? null;
  }

  // Installations ----------------------------------------------------------
  async saveInstallation(i: Omit<LinearInstallation, "createdAt" | "scopes"> & { tokens: TokenSet; installedBy: string | null }) {
    const box = this.deps.secretBox;
    await this.q(
      `insert into linear_installations (organization_id, organization_name, url_key, app_user_id, access_token_sealed, refresh_token_sealed, token_expires_at, scopes, installed_by)
       values ($1,$2,$3,$4,$5,$6,$7,$8,$9)
       on conflict (organization_id) do update set organization_name = excluded.organization_name, url_key = excluded.url_key, app_user_id = excluded.app_user_id,
         access_token_sealed = excluded.access_token_sealed, refresh_token_sealed = excluded.refresh_token_sealed, token_expires_at = excluded.token_expires_at,
         scopes = excluded.scopes, installed_by = excluded.installed_by, updated_at = now()`,
      [
        i.organizationId,
        i.organizationName,
        i.urlKey,
        i.appUserId,
        box.encrypt(i.tokens.accessToken),
        i.tokens.refreshToken ? box.encrypt(i.tokens.refreshToken) : null,
        i.tokens.expiresAt?.toISOString() ?? null,
        i.tokens.scope,
        i.installedBy,
      ],
    );
  }

  async updateTokens(organizationId: string, tokens: TokenSet) {
    const box = this.deps.secretBox;
    await this.q(
      `update linear_installations set access_token_sealed = $2, refresh_token_sealed = coalesce($3, refresh_token_sealed), token_expires_at = $4, updated_at = now()
       where organization_id = $1`,
      [
        organizationId,
        box.encrypt(tokens.accessToken),
        tokens.refreshToken ? box.encrypt(tokens.refreshToken) : null,
        tokens.expiresAt?.toISOString() ?? null,
      ],
    );
  }

  /** The workspace's tokens, unsealed: for calls to Linear only, never for a response or a log. */
  async tokens(organizationId: string): Promise<{ accessToken: string; refreshToken: string | null; expiresAt: Date | null } | null> {
    const [row] = await this.q<{ access: string; refresh: string | null; expiresAt: string | Date | null }>(
      `select access_token_sealed as access, refresh_token_sealed as refresh, token_expires_at as "expiresAt" from linear_installations where organization_id = $1`,
      [organizationId],
    );
    if (!row) return null;
    const box = this.deps.secretBox;
    return {
      accessToken: box.decrypt(row.access),
      refreshToken: row.refresh ? box.decrypt(row.refresh) : null,
      expiresAt: row.expiresAt ? new Date(row.expiresAt) : null,
    };
  }

  async isInstalled(tx: SqlTx, organizationId: string): Promise<boolean> {
    return (await tx.query(`select 1 from linear_installations where organization_id = $1`, [organizationId])).length === 1;
  }

  /** For display: never includes a token. */
  async listInstallations(): Promise<LinearInstallation[]> {
    return this.q<LinearInstallation>(
      `select organization_id as "organizationId", organization_name as "organizationName", url_key as "urlKey", app_user_id as "appUserId", scopes, created_at as "createdAt"
       from linear_installations order by created_at`,
    );
  }

  async deleteInstallation(organizationId: string, actor?: Principal): Promise<boolean> {
    const rows = await this.recorded<{ organization_id: string; organization_name: string }>(
      `delete from linear_installations where organization_id = $1 returning organization_id, organization_name`,
      [organizationId],
      ([r]) =>
        r && actor
          ? {
              actor,
              action: "linear_installation.delete",
              objectType: "linear_workspace",
              objectId: organizationId,
              before: { organization_name: r.organization_name },
              after: null,
            }
          : null,
    );
    return rows.length === 1;
  }

  // Bindings ---------------------------------------------------------------
  async listBindings() {
    return this.q<{ organizationId: string; agentId: string; lapTeamId: string }>(
      `select organization_id as "organizationId", agent_id as "agentId", lap_team_id as "lapTeamId" from linear_bindings order by organization_id`,
    );
  }

  /** The team a binding answers for is its agent's (as Slack's, docs/security.md "Users, teams and roles"). */
  async upsertBinding(organizationId: string, agentId: string, actor?: Principal) {
    await this.recorded<{ lap_team_id: string }>(
      `insert into linear_bindings (organization_id, agent_id, lap_team_id) values ($1, $2, coalesce((select a.team_id from agents a where a.id = $2), 'team_default'))
       on conflict (organization_id) do update set agent_id = excluded.agent_id, lap_team_id = excluded.lap_team_id, updated_at = now()
       returning lap_team_id`,
      [organizationId, agentId],
      ([r]) =>
        actor
          ? {
              actor,
              action: "linear_binding.set",
              objectType: "linear_binding",
              objectId: organizationId,
              teamId: r?.lap_team_id ?? null,
              after: { organization_id: organizationId, agent_id: agentId },
            }
          : null,
    );
  }

  async deleteBinding(organizationId: string, actor?: Principal): Promise<boolean> {
    const rows = await this.recorded<{ agent_id: string; lap_team_id: string }>(
      `delete from linear_bindings where organization_id = $1 returning agent_id, lap_team_id`,
      [organizationId],
      ([r]) =>
        r && actor
          ? {
              actor,
              action: "linear_binding.delete",
              objectType: "linear_binding",
              objectId: organizationId,
              teamId: r.lap_team_id,
              before: { agent_id: r.agent_id },
              after: null,
            }
          : null,
    );
    return rows.length === 1;
  }

  /** The workspace's own binding, else the default (`*`). */
  async resolveAgent(tx: SqlTx, organizationId: string): Promise<string | null> {
    const rows = await tx.query<{ agentId: string }>(
      `select agent_id as "agentId" from linear_bindings where organization_id in ($1, '*') order by (organization_id = '*') limit 1`,
      [organizationId],
    );
    return rows[0]?.agentId ?? null;
  }

  // Agent sessions ---------------------------------------------------------
  async agentSession(tx: SqlTx, agentSessionId: string) {
    const rows = await tx.query<{ organizationId: string; sessionId: string; agentId: string }>(
      `select organization_id as "organizationId", session_id as "sessionId", agent_id as "agentId" from linear_agent_sessions where agent_session_id = $1 for update`,
      [agentSessionId],
    );
    return rows[0] ?? null;
  }

  async linkInTx(
    tx: SqlTx,
    link: {
      agentSessionId: string;
      organizationId: string;
      sessionId: string;
      agentId: string;
      issueId: string | null;
      issueIdentifier: string | null;
    },
  ) {
    await tx.query(
      `insert into linear_agent_sessions (agent_session_id, organization_id, session_id, agent_id, issue_id, issue_identifier) values ($1,$2,$3,$4,$5,$6)
       on conflict (agent_session_id) do update set session_id = excluded.session_id, agent_id = excluded.agent_id, updated_at = now()`,
      [link.agentSessionId, link.organizationId, link.sessionId, link.agentId, link.issueId, link.issueIdentifier],
    );
  }

  async agentSessionOf(sessionId: string) {
    const rows = await this.q<{ agentSessionId: string; organizationId: string }>(
      `select agent_session_id as "agentSessionId", organization_id as "organizationId" from linear_agent_sessions where session_id = $1 order by updated_at desc limit 1`,
      [sessionId],
    );
    return rows[0] ?? null;
  }

  // Events -----------------------------------------------------------------
  /** The dedupe record; false when this event was already recorded (a replay or a redelivery). */
  async recordEventInTx(
    tx: SqlTx,
    e: {
      dedupeKey: string;
      organizationId: string;
      agentSessionId: string | null;
      action: string;
      status: LinearEventStatus;
      error?: string | null;
    },
  ) {
    const id = `lev_${randomUUID().replaceAll("-", "").slice(0, 24)}`;
    const rows = await tx.query<{ id: string }>(
      `insert into linear_events (id, dedupe_key, organization_id, agent_session_id, action, status, error) values ($1,$2,$3,$4,$5,$6,$7)
       on conflict (dedupe_key) do nothing returning id`,
      [id, e.dedupeKey, e.organizationId, e.agentSessionId, e.action, e.status, e.error ?? null],
    );
    return rows[0]?.id ?? null;
  }

  async updateEventInTx(
    tx: SqlTx,
    id: string,
    patch: { status: LinearEventStatus; sessionId?: string; turnId?: string; error?: string | null },
  ) {
    await tx.query(
      `update linear_events set status = $2, session_id = coalesce($3, session_id), turn_id = coalesce($4, turn_id), error = $5 where id = $1`,
      [id, patch.status, patch.sessionId ?? null, patch.turnId ?? null, patch.error ?? null],
    );
  }

  async eventByKey(dedupeKey: string): Promise<LinearEventRow | null> {
    return (await this.q<LinearEventRow>(`select ${EVENT_COLS} from linear_events where dedupe_key = $1`, [dedupeKey]))[0] ?? null;
  }

  async recentEvents(limit: number): Promise<LinearEventRow[]> {
    return this.q<LinearEventRow>(`select ${EVENT_COLS} from linear_events order by created_at desc, id limit $1`, [limit]);
  }

  /** Old rows only matter for the page's recent list; Linear's window is a minute. */
  async prune(olderThanDays: number) {
    await this.q(`delete from linear_events where created_at < now() - ($1::int * interval '1 day')`, [olderThanDays]);
    await this.q(`delete from linear_oauth_states where expires_at < now() - interval '1 day'`);
  }
}
