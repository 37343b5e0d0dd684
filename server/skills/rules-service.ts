import { and, desc, eq, ilike, or, sql } from "drizzle-orm";
import { randomUUID } from "node:crypto";
import { agents, rules, ruleVersions, type RuleRow, type RuleVersionRow } from "../../schema";
import type { Principal } from "../auth/model";
import { assertMay, creatorOf, scopeOf, scopeWhere, SYSTEM, teamForNew, visible } from "../auth/policy";
import { audited, NO_AUDIT, type AuditPort } from "../audit/record";
import type { Database } from "../db/client";
import { badRequest, conflict, notFound } from "../lib/errors";
import { withConstraintConflicts } from "../lib/pg-errors";
import { createRuleBody, updateRuleBody, type CreateRuleInput, type RuleVersionView, type RuleView, type UpdateRuleInput } from "./model";
import { ownedBy } from "./service";

const escapeLike = (q: string) => `%${q.replace(/[%_\\]/g, "\\$&")}%`;

/**
 * Rules (docs/skills.md): markdown instructions, team-owned like skills. A new body is a new version
 * (name and description change in place); a rollback is a new version with an old body.
 */
export class RuleService {
  constructor(private readonly deps: { database: Database; audit?: AuditPort }) {}

  private get db() {
    return this.deps.database.db;
  }

  private get audit() {
    return this.deps.audit ?? NO_AUDIT;
  }

  async create(input: CreateRuleInput, actor: Principal = SYSTEM): Promise<RuleView> {
    const p = createRuleBody.parse(input);
    const teamId = teamForNew(actor, p.team_id);
    const id = `rul_${randomUUID().replaceAll("-", "").slice(0, 20)}`;
    const [row] = await withConstraintConflicts(
      () =>
        audited(
          this.db,
          this.audit,
          async (tx) => {
            const rows = await tx
              .insert(rules)
              .values({ id, teamId, name: p.name, description: p.description, ...creatorOf(actor) })
              .returning();
            await tx.insert(ruleVersions).values({ ruleId: id, version: 1, body: p.body });
            return rows;
          },
          ([r]) => ({ actor, action: "rule.create", objectType: "rule", objectId: id, teamId, after: { ...r, body: p.body } }),
        ),
      { unique: `A rule named ${p.name} already exists in this team` },
    );
    return ruleView(row!);
  }

  async update(id: string, input: UpdateRuleInput, actor: Principal = SYSTEM): Promise<RuleView> {
    const p = updateRuleBody.parse(input);
    const current = await this.row(id, actor);
    assertMay(actor, "act", ownedBy(current), "this rule");
    return this.change(current, { name: p.name, description: p.description }, p.body, "api", "rule.update", actor);
  }

  async rollback(id: string, version: number, actor: Principal = SYSTEM): Promise<RuleView> {
    const current = await this.row(id, actor);
    assertMay(actor, "act", ownedBy(current), "this rule");
    const old = await this.version(id, version).catch(() => {
      throw badRequest(`version: rule ${id} has no version ${version}`, [{ field: "version", message: `no version ${version}` }]);
    });
    return this.change(current, {}, old.body, `rollback to ${version}`, "rule.rollback", actor);
  }

  private async change(
    current: RuleRow,
    fields: { name?: string; description?: string },
    body: string | undefined,
    source: string,
    action: string,
    actor: Principal,
  ): Promise<RuleView> {
    const [row] = await withConstraintConflicts(
      () =>
        audited(
          this.db,
          this.audit,
          async (tx) => {
            let version = current.currentVersion;
            if (body !== undefined) {
              const [{ next }] = (await tx
                .select({ next: sql<number>`coalesce(max(${ruleVersions.version}), 0) + 1` })
                .from(ruleVersions)
                .where(eq(ruleVersions.ruleId, current.id))) as [{ next: number }];
              version = Number(next);
              await tx.insert(ruleVersions).values({ ruleId: current.id, version, body, source });
            }
            const set = {
              ...(fields.name !== undefined ? { name: fields.name } : {}),
              ...(fields.description !== undefined ? { description: fields.description } : {}),
            };
            return tx
              .update(rules)
              .set({ ...set, currentVersion: version, updatedAt: new Date() })
              .where(eq(rules.id, current.id))
              .returning();
          },
          ([r]) => ({
            actor,
            action,
            objectType: "rule",
            objectId: current.id,
            teamId: current.teamId,
            before: current,
            after: { ...r, ...(body !== undefined ? { body, source } : {}) },
          }),
        ),
      {
        unique: `A rule named ${fields.name ?? current.name} already exists in this team (or the rule changed at the same moment: try again)`,
      },
    );
    return ruleView(row!);
  }

  async list(opts: { q?: string; limit: number }, actor: Principal = SYSTEM): Promise<RuleView[]> {
    const q = opts.q?.trim();
    const rows = await this.db
      .select()
      .from(rules)
      .where(
        and(
          q ? or(ilike(rules.name, escapeLike(q)), ilike(rules.description, escapeLike(q))) : undefined,
          scopeWhere(scopeOf(actor), rules.teamId),
        ),
      )
      .orderBy(desc(rules.createdAt))
      .limit(opts.limit);
    return rows.map(ruleView);
  }

  async row(id: string, actor: Principal = SYSTEM): Promise<RuleRow> {
    const [row] = await this.db.select().from(rules).where(eq(rules.id, id));
    if (!row || !visible(actor, ownedBy(row))) throw notFound("Rule");
    return row;
  }

  async get(id: string, actor: Principal = SYSTEM) {
    const row = await this.row(id, actor);
    return { ...ruleView(row), current: ruleVersionView(await this.version(id, row.currentVersion)) };
  }

  private async version(id: string, version: number): Promise<RuleVersionRow> {
    const [v] = await this.db
      .select()
      .from(ruleVersions)
      .where(and(eq(ruleVersions.ruleId, id), eq(ruleVersions.version, version)));
    if (!v) throw notFound("Rule version");
    return v;
  }

  async versions(id: string, actor: Principal = SYSTEM) {
    await this.row(id, actor);
    const rows = await this.db.select().from(ruleVersions).where(eq(ruleVersions.ruleId, id)).orderBy(desc(ruleVersions.version));
    return rows.map((r) => ({
      version: r.version,
      size: Buffer.byteLength(r.body),
      source: r.source,
      created_at: r.createdAt.toISOString(),
    }));
  }

  async getVersion(id: string, version: number, actor: Principal = SYSTEM): Promise<RuleVersionView> {
    await this.row(id, actor);
    return ruleVersionView(await this.version(id, version));
  }

  async remove(id: string, actor: Principal = SYSTEM): Promise<RuleView> {
    const row = await this.row(id, actor);
    assertMay(actor, "act", ownedBy(row), "this rule");
    await audited(
      this.db,
      this.audit,
      async (tx) => {
        const users = await tx
          .select({ name: agents.name })
          .from(agents)
          .where(sql`${agents.ruleIds} @> ${JSON.stringify([id])}::jsonb`)
          .limit(5);
        if (users.length)
          throw conflict(`Rule ${row.name} is attached to agents (${users.map((u) => u.name).join(", ")}); remove it from them first`);
        return tx.delete(rules).where(eq(rules.id, id)).returning({ id: rules.id });
      },
      (gone) =>
        gone.length
          ? { actor, action: "rule.delete", objectType: "rule", objectId: id, teamId: row.teamId, before: row, after: null }
          : null,
    );
    return ruleView(row);
  }
}

export function ruleView(r: RuleRow): RuleView {
  return {
    id: r.id,
    team_id: r.teamId,
    name: r.name,
    description: r.description,
    current_version: r.currentVersion,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

export function ruleVersionView(v: RuleVersionRow): RuleVersionView {
  return { rule_id: v.ruleId, version: v.version, body: v.body, source: v.source, created_at: v.createdAt.toISOString() };
}
