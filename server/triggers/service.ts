import { desc, eq, type SQL } from "drizzle-orm";
import { randomUUID } from "node:crypto";
import { agents, triggers, type TriggerRow } from "../../schema";
import type { Principal } from "../auth/model";
import { agentTeamFor, assertAccess, ownerColumns, teamFilter } from "../automation/owner";
import { audited, NO_AUDIT, type AuditPort } from "../audit/record";
import type { Database } from "../db/client";
import { randomToken, type SecretBox } from "../lib/crypto";
import { decodeCursor, encodeCursor } from "../lib/cursor";
import { badRequest, notFound } from "../lib/errors";
import type { DestinationGuard } from "../net/destinations";
import { defaultPort } from "../net/pinned-fetch";
import {
  createTriggerBody,
  updateTriggerBody,
  type CreateTriggerInput,
  type DeliveryView,
  type TriggerView,
  type UpdateTriggerInput,
} from "./model";

export interface TriggerServiceDeps {
  database: Database;
  box: SecretBox;
  destinations: DestinationGuard;
  /** LAP's public URL, for the webhook URL shown with each trigger. */
  baseUrl: () => string;
  /** The audit trail (server/audit). */
  audit?: AuditPort;
}

interface DeliverySqlRow {
  id: string;
  trigger_id: string;
  idempotency_key: string;
  status: string;
  turn_status: string | null;
  session_id: string | null;
  turn_id: string | null;
  error: string | null;
  callback_status: DeliveryView["callback_status"];
  callback_attempts: number;
  callback_error: string | null;
  received_at: Date | string;
  ended_at: Date | string | null;
}

/**
 * A callback URL must be https (http only to a host the operator allows) and not visibly
 * non-public; what it resolves to is checked again at every send (server/net, docs/security.md).
 */
export function callbackUrlProblem(raw: string, destinations: DestinationGuard): string | null {
  const url = new URL(raw);
  if (url.username || url.password) return "must not contain a user name or password";
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (url.protocol !== "https:" && destinations.entryFor(host, defaultPort(url)) === undefined) {
    return "must be an https URL (http only to a host LAP_ALLOW_PRIVATE_HOSTS names)";
  }
  return destinations.literalProblem(host, defaultPort(url));
}

/** Webhook triggers as the API sees them: CRUD scoped to the caller, the secret shown once, deliveries. */
export class TriggerService {
  constructor(private readonly deps: TriggerServiceDeps) {}

  private get db() {
    return this.deps.database.db;
  }

  private get audit() {
    return this.deps.audit ?? NO_AUDIT;
  }

  /** The triggers a caller's lists show (its teams). */
  private visible(principal: Principal): SQL | undefined {
    return teamFilter(principal, triggers.teamId);
  }

  /** The trigger, if the caller may `action` it: another team's is 404, someone else's (not a team admin) 403 to change. */
  private async row(principal: Principal, id: string, action: "read" | "act"): Promise<TriggerRow> {
    const [row] = await this.db.select().from(triggers).where(eq(triggers.id, id));
    if (!row) throw notFound("Trigger");
    assertAccess(principal, row, action, "Trigger");
    return row;
  }

  /** Checks the callback URL and the agent; the agent's team when one is given (400 agent_id if the caller may not use it). */
  private async check(principal: Principal, p: { agent_id?: string; callback_url?: string | null }): Promise<string | undefined> {
    if (p.callback_url) {
      const problem = callbackUrlProblem(p.callback_url, this.deps.destinations);
      if (problem) throw badRequest(`callback_url: ${problem}`, [{ field: "callback_url", message: problem }]);
    }
    if (p.agent_id === undefined) return undefined;
    return agentTeamFor((text, params) => this.deps.database.query(text, params), principal, p.agent_id);
  }

  async create(principal: Principal, input: CreateTriggerInput): Promise<{ trigger: TriggerView; secret: string }> {
    const p = createTriggerBody.parse(input);
    const teamId = (await this.check(principal, p))!;
    const id = `trg_${randomUUID().replaceAll("-", "").slice(0, 20)}`;
    const secret = randomToken("whsec_", 32);
    await audited(
      this.db,
      this.audit,
      (tx) =>
        tx
          .insert(triggers)
          .values({
            id,
            name: p.name,
            agentId: p.agent_id,
            promptTemplate: p.prompt_template,
            sessionMode: p.session_mode,
            callbackUrl: p.callback_url,
            secretSealed: this.deps.box.encrypt(secret),
            teamId,
            ...ownerColumns(principal),
            createdBy: principal.label,
          })
          .returning(),
      ([r]) => ({ actor: principal, action: "trigger.create", objectType: "trigger", objectId: id, teamId, after: r }),
    );
    return { trigger: await this.get(principal, id), secret };
  }

  async update(principal: Principal, id: string, input: UpdateTriggerInput): Promise<TriggerView> {
    const current = await this.row(principal, id, "act");
    const p = updateTriggerBody.parse(input);
    const teamId = await this.check(principal, p);
    const set: Partial<typeof triggers.$inferInsert> = { updatedAt: new Date() };
    if (p.name !== undefined) set.name = p.name;
    if (p.agent_id !== undefined) set.agentId = p.agent_id;
    if (teamId !== undefined) set.teamId = teamId;
    if (p.prompt_template !== undefined) set.promptTemplate = p.prompt_template;
    if (p.session_mode !== undefined) set.sessionMode = p.session_mode;
    if (p.callback_url !== undefined) set.callbackUrl = p.callback_url;
    await audited(
      this.db,
      this.audit,
      (tx) => tx.update(triggers).set(set).where(eq(triggers.id, id)).returning(),
      ([r]) => ({
        actor: principal,
        action: "trigger.update",
        objectType: "trigger",
        objectId: id,
        teamId: r?.teamId ?? current.teamId,
        before: current,
        after: r,
      }),
    );
    return this.get(principal, id);
  }

  /** A new secret, shown once; the old one stops working at once. */
  async rotateSecret(principal: Principal, id: string): Promise<{ trigger: TriggerView; secret: string }> {
    const current = await this.row(principal, id, "act");
    const secret = randomToken("whsec_", 32);
    await audited(
      this.db,
      this.audit,
      (tx) =>
        tx
          .update(triggers)
          .set({ secretSealed: this.deps.box.encrypt(secret), updatedAt: new Date() })
          .where(eq(triggers.id, id)),
      () => ({
        actor: principal,
        action: "trigger.rotate_secret",
        objectType: "trigger",
        objectId: id,
        teamId: current.teamId,
        before: { secretSealed: current.secretSealed },
        after: { secretSealed: "new" },
      }),
    );
    return { trigger: await this.get(principal, id), secret };
  }

  async setStatus(principal: Principal, id: string, status: "active" | "paused"): Promise<TriggerView> {
    const current = await this.row(principal, id, "act");
    await audited(
      this.db,
      this.audit,
      (tx) => tx.update(triggers).set({ status, updatedAt: new Date() }).where(eq(triggers.id, id)),
      () => ({
        actor: principal,
        action: status === "paused" ? "trigger.pause" : "trigger.resume",
        objectType: "trigger",
        objectId: id,
        teamId: current.teamId,
        before: { status: current.status },
        after: { status },
      }),
    );
    return this.get(principal, id);
  }

  async remove(principal: Principal, id: string): Promise<TriggerView> {
    const current = await this.row(principal, id, "act");
    const view = await this.get(principal, id);
    await audited(
      this.db,
      this.audit,
      (tx) => tx.delete(triggers).where(eq(triggers.id, id)),
      () => ({
        actor: principal,
        action: "trigger.delete",
        objectType: "trigger",
        objectId: id,
        teamId: current.teamId,
        before: current,
        after: null,
      }),
    );
    return view;
  }

  async get(principal: Principal, id: string): Promise<TriggerView> {
    await this.row(principal, id, "read");
    const [view] = await this.views(eq(triggers.id, id));
    if (!view) throw notFound("Trigger");
    return view;
  }

  list(principal: Principal): Promise<TriggerView[]> {
    return this.views(this.visible(principal));
  }

  async deliveries(
    principal: Principal,
    id: string,
    opts: { limit: number; cursor?: string },
  ): Promise<{ data: DeliveryView[]; next_cursor: string | null }> {
    await this.row(principal, id, "read");
    const params: unknown[] = [id];
    let where = "d.trigger_id = $1";
    if (opts.cursor) {
      params.push(decodeCursor(opts.cursor));
      where += ` and (d.received_at, d.id) < (select d2.received_at, d2.id from trigger_deliveries d2 where d2.id = $2)`;
    }
    params.push(opts.limit + 1);
    const rows = await this.deps.database.query<DeliverySqlRow>(
      `select d.id, d.trigger_id, d.idempotency_key, d.status, t.status as turn_status, d.session_id, d.turn_id, coalesce(d.error, t.error) as error,
              d.callback_status, d.callback_attempts, d.callback_error, d.received_at, coalesce(d.ended_at, t.ended_at) as ended_at
         from trigger_deliveries d left join session_turns t on t.id = d.turn_id
        where ${where} order by d.received_at desc, d.id desc limit $${params.length}`,
      params,
    );
    const page = rows.slice(0, opts.limit);
    return { data: page.map(deliveryView), next_cursor: rows.length > opts.limit && page.length ? encodeCursor(page.at(-1)!.id) : null };
  }

  private async views(where: SQL | undefined): Promise<TriggerView[]> {
    const rows = await this.db
      .select({ t: triggers, agentName: agents.name })
      .from(triggers)
      .leftJoin(agents, eq(agents.id, triggers.agentId))
      .where(where)
      .orderBy(desc(triggers.createdAt), desc(triggers.id));
    if (!rows.length) return [];
    const last = await this.deps.database.query<{ trigger_id: string; at: Date | string }>(
      "select trigger_id, max(received_at) as at from trigger_deliveries where trigger_id = any($1::text[]) group by trigger_id",
      [rows.map((r) => r.t.id)],
    );
    const lastAt = new Map(last.map((l) => [l.trigger_id, new Date(l.at).toISOString()]));
    const base = this.deps.baseUrl().replace(/\/+$/, "");
    return rows.map(({ t, agentName }) => ({
      id: t.id,
      name: t.name,
      agent_id: t.agentId,
      agent_name: agentName,
      prompt_template: t.promptTemplate,
      session_mode: t.sessionMode,
      session_id: t.sessionId,
      callback_url: t.callbackUrl,
      status: t.status,
      url: `${base}/api/triggers/${t.id}`,
      last_delivery_at: lastAt.get(t.id) ?? null,
      created_by: t.createdBy,
      created_at: t.createdAt.toISOString(),
      updated_at: t.updatedAt.toISOString(),
    }));
  }
}

function deliveryView(r: DeliverySqlRow): DeliveryView {
  const turn = r.turn_status ?? "";
  const status = (
    r.status !== "started" ? r.status : ["running", "completed", "failed", "interrupted"].includes(turn) ? turn : "queued"
  ) as DeliveryView["status"];
  return {
    id: r.id,
    trigger_id: r.trigger_id,
    idempotency_key: r.idempotency_key,
    status,
    session_id: r.session_id,
    turn_id: r.turn_id,
    error: r.error,
    callback_status: r.callback_status,
    callback_attempts: Number(r.callback_attempts),
    callback_error: r.callback_error,
    received_at: new Date(r.received_at).toISOString(),
    ended_at: r.ended_at ? new Date(r.ended_at).toISOString() : null,
  };
}
