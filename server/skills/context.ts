/**
 * What an agent's session is given at start (docs/skills.md): its rules and skills at their current
 * versions, in the agent's order. Only the agent's own team's skills and rules count (agents are
 * checked on write, this holds if one moved since); a missing one is left out.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import { agents, rules, ruleVersions, skills, skillVersions } from "../../schema";
import type { Database } from "../db/client";
import { badRequest } from "../lib/errors";

/** What one session may be given in skills (SKILL.md and files, uncompressed): checked when attached, enforced at start. */
export const CONTEXT_SKILL_BYTES = 8 * 1024 * 1024;

/** The context part of a sandbox binding (harness/protocol.ts HarnessContext). */
export interface SessionContext {
  rules: Array<{ name: string; version: number; body: string }>;
  skills: Array<{
    name: string;
    version: number;
    description: string;
    skillMd: string;
    files: Array<{ path: string; content_base64: string }>;
  }>;
}

export async function sessionContext(
  database: Database,
  agent: { teamId: string; skillIds: string[]; ruleIds: string[] },
): Promise<SessionContext> {
  const db = database.db;
  const out: SessionContext = { rules: [], skills: [] };
  if (agent.ruleIds.length) {
    const rows = await db
      .select({ id: rules.id, name: rules.name, version: rules.currentVersion, body: ruleVersions.body })
      .from(rules)
      .innerJoin(ruleVersions, and(eq(ruleVersions.ruleId, rules.id), eq(ruleVersions.version, rules.currentVersion)))
      .where(and(inArray(rules.id, agent.ruleIds), eq(rules.teamId, agent.teamId)));
    for (const id of agent.ruleIds) {
      const r = rows.find((x) => x.id === id);
      if (r) out.rules.push({ name: r.name, version: r.version, body: r.body });
    }
  }
  if (agent.skillIds.length) {
    const rows = await db
      .select({
        id: skills.id,
        name: skills.name,
        description: skills.description,
        version: skills.currentVersion,
        skillMd: skillVersions.skillMd,
        files: skillVersions.files,
        size: skillVersions.size,
      })
      .from(skills)
      .innerJoin(skillVersions, and(eq(skillVersions.skillId, skills.id), eq(skillVersions.version, skills.currentVersion)))
      .where(and(inArray(skills.id, agent.skillIds), eq(skills.teamId, agent.teamId)));
    let total = 0;
    for (const id of agent.skillIds) {
      const s = rows.find((x) => x.id === id);
      // Skills that grew past the cap since they were attached stay out (the agent form says why).
      if (s && (total += s.size) > CONTEXT_SKILL_BYTES) break;
      if (s) out.skills.push({ name: s.name, version: s.version, description: s.description, skillMd: s.skillMd, files: s.files });
    }
  }
  return out;
}

/** The context of an agent by id (empty when it is gone). */
export async function contextForAgent(database: Database, agentId: string): Promise<SessionContext> {
  const [a] = await database.db
    .select({ teamId: agents.teamId, skillIds: agents.skillIds, ruleIds: agents.ruleIds })
    .from(agents)
    .where(eq(agents.id, agentId));
  return a ? sessionContext(database, a) : { rules: [], skills: [] };
}

/**
 * An agent's skill_ids and rule_ids must name skills and rules of the agent's team: anything else
 * (unknown, another team's) is a 400 naming the field, before anything is written.
 */
export async function assertAttachable(database: Database, teamId: string, p: { skill_ids?: string[]; rule_ids?: string[] }) {
  const db = database.db;
  const fields: Array<{ field: string; message: string }> = [];
  const check = async (field: string, ids: string[] | undefined, table: typeof skills | typeof rules, what: string) => {
    if (!ids?.length) return;
    const found = new Set(
      (
        await db
          .select({ id: table.id })
          .from(table)
          .where(and(inArray(table.id, ids), eq(table.teamId, teamId)))
      ).map((r) => r.id),
    );
    const missing = [...new Set(ids)].filter((id) => !found.has(id));
    if (missing.length) fields.push({ field, message: `no ${what} ${missing.slice(0, 5).join(", ")} in the agent's team` });
  };
  await check("skill_ids", p.skill_ids, skills, "skill");
  if (p.skill_ids?.length && !fields.length) {
    const [{ total }] = (await db
      .select({ total: sql<number>`coalesce(sum(${skillVersions.size}), 0)` })
      .from(skills)
      .innerJoin(skillVersions, and(eq(skillVersions.skillId, skills.id), eq(skillVersions.version, skills.currentVersion)))
      .where(inArray(skills.id, [...new Set(p.skill_ids)]))) as [{ total: number }];
    if (Number(total) > CONTEXT_SKILL_BYTES)
      fields.push({
        field: "skill_ids",
        message: `these skills hold ${Number(total)} bytes together; a session takes at most ${CONTEXT_SKILL_BYTES}`,
      });
  }
  await check("rule_ids", p.rule_ids, rules, "rule");
  if (fields.length) throw badRequest(`Invalid body: ${fields.map((f) => `${f.field}: ${f.message}`).join("; ")}`, fields);
}
