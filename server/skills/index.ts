import { Elysia } from "elysia";
import { z } from "zod";
import type { AuthGuard } from "../http/auth-guard";
import {
  createRuleBody,
  createSkillBody,
  idParams,
  importSkillBody,
  listQuery,
  rollbackBody,
  ruleDetail,
  ruleVersionView,
  ruleView,
  skillDetail,
  skillVersionView,
  skillView,
  updateRuleBody,
  updateSkillBody,
  versionParams,
  versionSummary,
} from "./model";
import type { RuleService } from "./rules-service";
import type { SkillService } from "./service";

/** Skills: admins, and users in their teams (server/auth/policy.ts; docs/skills.md). */
export function skillRoutes(deps: { skills: SkillService; guard: AuthGuard }) {
  return new Elysia({ prefix: "/api/skills", detail: { tags: ["Skills"] } })
    .use(deps.guard)
    .get("", async ({ query, principal }) => ({ data: await deps.skills.list(query, principal) }), {
      query: listQuery,
      response: z.object({ data: z.array(skillView) }),
      detail: { summary: "List skills, newest first; q searches name and description" },
    })
    .post("", async ({ body, set, principal }) => ((set.status = 201), deps.skills.create(body, principal)), {
      body: createSkillBody,
      response: { 201: skillView },
      detail: { summary: "Create a skill from SKILL.md (front matter name and description) and files" },
    })
    .post("/import", async ({ body, set, principal }) => ((set.status = body.skill_id ? 200 : 201), deps.skills.import(body, principal)), {
      body: importSkillBody,
      response: { 200: skillView, 201: skillView },
      detail: { summary: "Create a skill (or, with skill_id, a new version of one) from a zip (base64) or a git repository" },
    })
    .get("/:id", ({ params, principal }) => deps.skills.get(params.id, principal), { params: idParams, response: skillDetail })
    .patch("/:id", ({ params, body, principal }) => deps.skills.update(params.id, body, principal), {
      params: idParams,
      body: updateSkillBody,
      response: skillView,
      detail: { summary: "A new version of the skill" },
    })
    .delete("/:id", ({ params, principal }) => deps.skills.remove(params.id, principal), { params: idParams, response: skillView })
    .get("/:id/versions", async ({ params, principal }) => ({ data: await deps.skills.versions(params.id, principal) }), {
      params: idParams,
      response: z.object({ data: z.array(versionSummary) }),
    })
    .get("/:id/versions/:version", ({ params, principal }) => deps.skills.getVersion(params.id, params.version, principal), {
      params: versionParams,
      response: skillVersionView,
    })
    .post("/:id/rollback", ({ params, body, principal }) => deps.skills.rollback(params.id, body.version, principal), {
      params: idParams,
      body: rollbackBody,
      response: skillView,
      detail: { summary: "Back to an earlier version (saved as a new version)" },
    });
}

/** Rules: admins, and users in their teams. */
export function ruleRoutes(deps: { rules: RuleService; guard: AuthGuard }) {
  return new Elysia({ prefix: "/api/rules", detail: { tags: ["Rules"] } })
    .use(deps.guard)
    .get("", async ({ query, principal }) => ({ data: await deps.rules.list(query, principal) }), {
      query: listQuery,
      response: z.object({ data: z.array(ruleView) }),
    })
    .post("", async ({ body, set, principal }) => ((set.status = 201), deps.rules.create(body, principal)), {
      body: createRuleBody,
      response: { 201: ruleView },
    })
    .get("/:id", ({ params, principal }) => deps.rules.get(params.id, principal), { params: idParams, response: ruleDetail })
    .patch("/:id", ({ params, body, principal }) => deps.rules.update(params.id, body, principal), {
      params: idParams,
      body: updateRuleBody,
      response: ruleView,
      detail: { summary: "Change a rule (a new body is a new version)" },
    })
    .delete("/:id", ({ params, principal }) => deps.rules.remove(params.id, principal), { params: idParams, response: ruleView })
    .get("/:id/versions", async ({ params, principal }) => ({ data: await deps.rules.versions(params.id, principal) }), {
      params: idParams,
      response: z.object({ data: z.array(versionSummary) }),
    })
    .get("/:id/versions/:version", ({ params, principal }) => deps.rules.getVersion(params.id, params.version, principal), {
      params: versionParams,
      response: ruleVersionView,
    })
    .post("/:id/rollback", ({ params, body, principal }) => deps.rules.rollback(params.id, body.version, principal), {
      params: idParams,
      body: rollbackBody,
      response: ruleView,
    });
}

/** Both, as one plugin (one `.use` in server/app.ts). */
export const skillAndRuleRoutes = (deps: { skills: SkillService; rules: RuleService; guard: AuthGuard }) =>
  new Elysia().use(skillRoutes(deps)).use(ruleRoutes(deps));
