import { z } from "zod";
import { idString, safeString } from "../lib/strings";
import { SKILL_LIMITS } from "./bundle";

const skillMd = z
  .string({ error: "required: the SKILL.md text, starting with front matter (name, description)" })
  .max(SKILL_LIMITS.skillMdBytes, `at most ${SKILL_LIMITS.skillMdBytes} characters`);
const skillFile = z
  .object({
    path: z.string().min(1).max(SKILL_LIMITS.pathChars),
    content_base64: z.string().max(4 * Math.ceil(SKILL_LIMITS.totalBytes / 3), "the file is too large"),
  })
  .strict();
const teamField = { team_id: z.string().trim().min(1).max(200).optional() };

export const createSkillBody = z
  .object({
    skill_md: skillMd,
    files: z.array(skillFile).max(SKILL_LIMITS.files, `at most ${SKILL_LIMITS.files} files`).default([]),
    ...teamField,
  })
  .strict();
export type CreateSkillInput = z.input<typeof createSkillBody>;
/** A new version: SKILL.md and, when given, the files (absent: the current version's files are kept). */
export const updateSkillBody = z
  .object({ skill_md: skillMd, files: z.array(skillFile).max(SKILL_LIMITS.files, `at most ${SKILL_LIMITS.files} files`).optional() })
  .strict();
export type UpdateSkillInput = z.input<typeof updateSkillBody>;

/** Import: exactly one of a zip (base64) or a git repository (https URL, optional ref and folder). */
export const importSkillBody = z
  .object({
    zip_base64: z
      .string()
      .max(6 * 1024 * 1024, "the zip is larger than 4.5 MB")
      .regex(/^[A-Za-z0-9+/]*={0,2}$/, "must be base64")
      .optional(),
    git_url: z.url({ message: "must be an https URL such as https://github.com/org/skills" }).max(2048).optional(),
    git_ref: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/, "a branch or tag name")
      .optional(),
    path: z.string().trim().min(1).max(SKILL_LIMITS.pathChars).optional(),
    /** Import as a new version of this skill instead of a new skill. */
    skill_id: idString(64).optional(),
    ...teamField,
  })
  .strict()
  .refine((b) => (b.zip_base64 === undefined) !== (b.git_url === undefined), {
    message: "give exactly one of zip_base64 or git_url",
    path: ["zip_base64"],
  });
export type ImportSkillInput = z.input<typeof importSkillBody>;

export const ruleName = safeString({ max: 100, line: true, what: "a name for the rule" }).pipe(
  z.string().trim().min(1, "required: a name for the rule"),
);
const ruleBodyText = z
  .string({ error: "required: the rule's markdown" })
  .min(1, "required: the rule's markdown")
  .max(100_000, "at most 100000 characters");
export const createRuleBody = z
  .object({ name: ruleName, description: z.string().max(1000).default(""), body: ruleBodyText, ...teamField })
  .strict();
export type CreateRuleInput = z.input<typeof createRuleBody>;
/** Name and description change in place; a new body is a new version. */
export const updateRuleBody = z
  .object({ name: ruleName.optional(), description: z.string().max(1000).optional(), body: ruleBodyText.optional() })
  .strict();
export type UpdateRuleInput = z.input<typeof updateRuleBody>;

export const idParams = z.object({ id: idString(64) });
export const versionParams = z.object({
  id: idString(64),
  version: z.coerce.number({ error: "must be a version number" }).int().min(1).max(1_000_000),
});
export const rollbackBody = z
  .object({ version: z.number({ error: "required: the version to go back to" }).int("must be a whole number").min(1) })
  .strict();
export const listQuery = z.object({
  q: z.string().max(200).optional(),
  limit: z.coerce.number({ error: "must be a number" }).int().min(1, "at least 1").max(200, "at most 200").default(100),
});

export const skillFileView = z.object({ path: z.string(), size: z.number() });
export const skillView = z.object({
  id: z.string(),
  team_id: z.string(),
  name: z.string(),
  description: z.string(),
  current_version: z.number(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type SkillView = z.infer<typeof skillView>;
export const skillVersionView = z.object({
  skill_id: z.string(),
  version: z.number(),
  skill_md: z.string(),
  files: z.array(skillFileView),
  size: z.number(),
  source: z.string(),
  created_at: z.string(),
});
export type SkillVersionView = z.infer<typeof skillVersionView>;
/** A skill with its current version. */
export const skillDetail = skillView.extend({ current: skillVersionView });
export const versionSummary = z.object({ version: z.number(), size: z.number(), source: z.string(), created_at: z.string() });

export const ruleView = skillView.extend({});
export type RuleView = z.infer<typeof ruleView>;
export const ruleVersionView = z.object({
  rule_id: z.string(),
  version: z.number(),
  body: z.string(),
  source: z.string(),
  created_at: z.string(),
});
export type RuleVersionView = z.infer<typeof ruleVersionView>;
export const ruleDetail = ruleView.extend({ current: ruleVersionView });
