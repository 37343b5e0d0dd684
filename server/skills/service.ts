import { and, desc, eq, ilike, or, sql } from "drizzle-orm";
import { randomUUID } from "node:crypto";
import { agents, skills, skillVersions, type SkillRow, type SkillVersionRow } from "../../schema";
import type { Principal } from "../auth/model";
import { assertMay, creatorOf, scopeOf, scopeWhere, SYSTEM, teamForNew, visible } from "../auth/policy";
import { audited, NO_AUDIT, type AuditPort, type DbTx } from "../audit/record";
import type { Database } from "../db/client";
import { badRequest, conflict, notFound } from "../lib/errors";
import type { Logger } from "../lib/logger";
import { withConstraintConflicts } from "../lib/pg-errors";
import { DestinationGuard } from "../net/destinations";
import { redactUrl } from "../sandboxes/runtime/repo";
import { checkBundle, type SkillBundle } from "./bundle";
import { skillFromGit } from "./git-import";
import {
  createSkillBody,
  importSkillBody,
  updateSkillBody,
  type CreateSkillInput,
  type ImportSkillInput,
  type SkillVersionView,
  type SkillView,
  type UpdateSkillInput,
} from "./model";
import { skillFromZip } from "./zip";

export interface SkillServiceDeps {
  database: Database;
  audit?: AuditPort;
  /** Checks a git_url's host after resolution (docs/security.md); default: public addresses only. */
  destinations?: DestinationGuard;
  logger?: Logger;
}

const newId = (prefix: string) => `${prefix}_${randomUUID().replaceAll("-", "").slice(0, 20)}`;
export const ownedBy = (r: { teamId: string; ownerUserId: string | null; ownerKeyId: string | null }) => ({
  teamId: r.teamId,
  ownerUserId: r.ownerUserId,
  ownerKeyId: r.ownerKeyId,
});
const escapeLike = (q: string) => `%${q.replace(/[%_\\]/g, "\\$&")}%`;

/**
 * Skills (docs/skills.md): team-owned like agents (server/auth/policy.ts: another team's is 404;
 * members create in their team and change their own, team admins any of the team's). Every change is
 * a new version, audited in its own transaction; versions are never rewritten.
 */
export class SkillService {
  constructor(private readonly deps: SkillServiceDeps) {}

  private get db() {
    return this.deps.database.db;
  }

  private get audit() {
    return this.deps.audit ?? NO_AUDIT;
  }

  async create(input: CreateSkillInput, actor: Principal = SYSTEM): Promise<SkillView> {
    const p = createSkillBody.parse(input);
    const bundle = checkBundle(p.skill_md, p.files);
    return this.insert(bundle, "api", teamForNew(actor, p.team_id), actor);
  }

  /** A new skill from a zip upload or a git repository (docs/skills.md "Import"). */
  async import(input: ImportSkillInput, actor: Principal = SYSTEM): Promise<SkillView> {
    const p = importSkillBody.parse(input);
    // A new version of a skill the caller may change, or a new skill in its team.
    const current = p.skill_id ? await this.row(p.skill_id, actor) : null;
    if (current) assertMay(actor, "act", ownedBy(current), "this skill");
    const teamId = current?.teamId ?? teamForNew(actor, p.team_id);
    const bundle =
      p.zip_base64 !== undefined
        ? skillFromZip(Buffer.from(p.zip_base64, "base64"))
        : await skillFromGit(
            { git_url: p.git_url!, git_ref: p.git_ref, path: p.path },
            { destinations: this.deps.destinations ?? new DestinationGuard(), logger: this.deps.logger },
          );
    const source =
      p.zip_base64 !== undefined
        ? "zip"
        : `git ${redactUrl(p.git_url!)}${p.git_ref ? `#${p.git_ref}` : ""}${p.path ? ` ${p.path}` : ""}`.slice(0, 500);
    return current ? this.addVersion(current, bundle, source, "skill.update", actor) : this.insert(bundle, source, teamId, actor);
  }

  private async insert(bundle: SkillBundle, source: string, teamId: string, actor: Principal): Promise<SkillView> {
    const id = newId("skl");
    const [row] = await withConstraintConflicts(
      () =>
        audited(
          this.db,
          this.audit,
          async (tx) => {
            const rows = await tx
              .insert(skills)
              .values({ id, teamId, name: bundle.name, description: bundle.description, currentVersion: 1, ...creatorOf(actor) })
              .returning();
            await tx
              .insert(skillVersions)
              .values({ skillId: id, version: 1, skillMd: bundle.skillMd, files: bundle.files, size: bundle.size, source });
            return rows;
          },
          ([r]) => ({
            actor,
            action: "skill.create",
            objectType: "skill",
            objectId: id,
            teamId,
            after: { ...r, version: 1, size: bundle.size, source },
          }),
        ),
      { unique: `A skill named ${bundle.name} already exists in this team` },
    );
    return skillView(row!);
  }

  /** A new version from SKILL.md (and files; absent: the current ones are kept). */
  async update(id: string, input: UpdateSkillInput, actor: Principal = SYSTEM): Promise<SkillView> {
    const p = updateSkillBody.parse(input);
    const current = await this.row(id, actor);
    assertMay(actor, "act", ownedBy(current), "this skill");
    const files = p.files ?? (await this.version(id, current.currentVersion)).files;
    return this.addVersion(current, checkBundle(p.skill_md, files), "api", "skill.update", actor);
  }

  /** Back to an earlier version: a new version with its content (the history stays as it was). */
  async rollback(id: string, version: number, actor: Principal = SYSTEM): Promise<SkillView> {
    const current = await this.row(id, actor);
    assertMay(actor, "act", ownedBy(current), "this skill");
    const old = await this.version(id, version).catch(() => {
      throw badRequest(`version: skill ${id} has no version ${version}`, [{ field: "version", message: `no version ${version}` }]);
    });
    return this.addVersion(current, checkBundle(old.skillMd, old.files), `rollback to ${version}`, "skill.rollback", actor);
  }

  private async addVersion(current: SkillRow, bundle: SkillBundle, source: string, action: string, actor: Principal): Promise<SkillView> {
    const [row] = await withConstraintConflicts(
      () =>
        audited(
          this.db,
          this.audit,
          async (tx: DbTx) => {
            const [{ next }] = (await tx
              .select({ next: sql<number>`coalesce(max(${skillVersions.version}), 0) + 1` })
              .from(skillVersions)
              .where(eq(skillVersions.skillId, current.id))) as [{ next: number }];
            await tx.insert(skillVersions).values({
              skillId: current.id,
              version: Number(next),
              skillMd: bundle.skillMd,
              files: bundle.files,
              size: bundle.size,
              source,
            });
            return tx
              .update(skills)
              .set({ name: bundle.name, description: bundle.description, currentVersion: Number(next), updatedAt: new Date() })
              .where(eq(skills.id, current.id))
              .returning();
          },
          ([r]) => ({
            actor,
            action,
            objectType: "skill",
            objectId: current.id,
            teamId: current.teamId,
            before: current,
            after: { ...r, size: bundle.size, source },
          }),
        ),
      { unique: `A skill named ${bundle.name} already exists in this team (or the skill changed at the same moment: try again)` },
    );
    return skillView(row!);
  }

  async list(opts: { q?: string; limit: number }, actor: Principal = SYSTEM): Promise<SkillView[]> {
    const q = opts.q?.trim();
    const rows = await this.db
      .select()
      .from(skills)
      .where(
        and(
          q ? or(ilike(skills.name, escapeLike(q)), ilike(skills.description, escapeLike(q))) : undefined,
          scopeWhere(scopeOf(actor), skills.teamId),
        ),
      )
      .orderBy(desc(skills.createdAt))
      .limit(opts.limit);
    return rows.map(skillView);
  }

  async row(id: string, actor: Principal = SYSTEM): Promise<SkillRow> {
    const [row] = await this.db.select().from(skills).where(eq(skills.id, id));
    if (!row || !visible(actor, ownedBy(row))) throw notFound("Skill");
    return row;
  }

  async get(id: string, actor: Principal = SYSTEM) {
    const row = await this.row(id, actor);
    return { ...skillView(row), current: skillVersionView(await this.version(id, row.currentVersion)) };
  }

  private async version(id: string, version: number): Promise<SkillVersionRow> {
    const [v] = await this.db
      .select()
      .from(skillVersions)
      .where(and(eq(skillVersions.skillId, id), eq(skillVersions.version, version)));
    if (!v) throw notFound("Skill version");
    return v;
  }

  async versions(id: string, actor: Principal = SYSTEM) {
    await this.row(id, actor);
    const rows = await this.db
      .select({
        version: skillVersions.version,
        size: skillVersions.size,
        source: skillVersions.source,
        createdAt: skillVersions.createdAt,
      })
      .from(skillVersions)
      .where(eq(skillVersions.skillId, id))
      .orderBy(desc(skillVersions.version));
    return rows.map((r) => ({ version: r.version, size: r.size, source: r.source, created_at: r.createdAt.toISOString() }));
  }

  async getVersion(id: string, version: number, actor: Principal = SYSTEM): Promise<SkillVersionView> {
    await this.row(id, actor);
    return skillVersionView(await this.version(id, version));
  }

  /** Deletes a skill no agent lists (409 naming the agents that do). */
  async remove(id: string, actor: Principal = SYSTEM): Promise<SkillView> {
    const row = await this.row(id, actor);
    assertMay(actor, "act", ownedBy(row), "this skill");
    await audited(
      this.db,
      this.audit,
      async (tx) => {
        const users = await tx
          .select({ name: agents.name })
          .from(agents)
          .where(sql`${agents.skillIds} @> ${JSON.stringify([id])}::jsonb`)
          .limit(5);
        if (users.length)
          throw conflict(`Skill ${row.name} is attached to agents (${users.map((u) => u.name).join(", ")}); remove it from them first`);
        return tx.delete(skills).where(eq(skills.id, id)).returning({ id: skills.id });
      },
      (gone) =>
        gone.length
          ? { actor, action: "skill.delete", objectType: "skill", objectId: id, teamId: row.teamId, before: row, after: null }
          : null,
    );
    return skillView(row);
  }
}

export function skillView(r: SkillRow): SkillView {
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

export function skillVersionView(v: SkillVersionRow): SkillVersionView {
  return {
    skill_id: v.skillId,
    version: v.version,
    skill_md: v.skillMd,
    files: v.files.map((f) => ({ path: f.path, size: Buffer.from(f.content_base64, "base64").length })),
    size: v.size,
    source: v.source,
    created_at: v.createdAt.toISOString(),
  };
}
