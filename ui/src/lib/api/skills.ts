// Skills and rules (docs/skills.md): what agents are given at session start.
import type { z } from "zod";
import type {
  CreateRuleInput,
  CreateSkillInput,
  ImportSkillInput,
  RuleVersionView,
  RuleView,
  SkillVersionView,
  SkillView,
  UpdateRuleInput,
  UpdateSkillInput,
  versionSummary,
} from "../../../../server/skills/model";
import { request } from "./client";

export type { RuleVersionView, RuleView, SkillVersionView, SkillView };
export type VersionSummary = z.infer<typeof versionSummary>;
const enc = encodeURIComponent;

export const skillsApi = {
  list: () => request<{ data: SkillView[] }>("GET", "/api/skills?limit=200").then((r) => r.data),
  get: (id: string) => request<SkillView & { current: SkillVersionView }>("GET", `/api/skills/${enc(id)}`),
  create: (input: CreateSkillInput) => request<SkillView>("POST", "/api/skills", input),
  import: (input: ImportSkillInput) => request<SkillView>("POST", "/api/skills/import", input),
  update: (id: string, input: UpdateSkillInput) => request<SkillView>("PATCH", `/api/skills/${enc(id)}`, input),
  remove: (id: string) => request<SkillView>("DELETE", `/api/skills/${enc(id)}`),
  versions: (id: string) => request<{ data: VersionSummary[] }>("GET", `/api/skills/${enc(id)}/versions`).then((r) => r.data),
  version: (id: string, v: number) => request<SkillVersionView>("GET", `/api/skills/${enc(id)}/versions/${v}`),
  rollback: (id: string, version: number) => request<SkillView>("POST", `/api/skills/${enc(id)}/rollback`, { version }),
};

export const rulesApi = {
  list: () => request<{ data: RuleView[] }>("GET", "/api/rules?limit=200").then((r) => r.data),
  get: (id: string) => request<RuleView & { current: RuleVersionView }>("GET", `/api/rules/${enc(id)}`),
  create: (input: CreateRuleInput) => request<RuleView>("POST", "/api/rules", input),
  update: (id: string, input: UpdateRuleInput) => request<RuleView>("PATCH", `/api/rules/${enc(id)}`, input),
  remove: (id: string) => request<RuleView>("DELETE", `/api/rules/${enc(id)}`),
  versions: (id: string) => request<{ data: VersionSummary[] }>("GET", `/api/rules/${enc(id)}/versions`).then((r) => r.data),
  version: (id: string, v: number) => request<RuleVersionView>("GET", `/api/rules/${enc(id)}/versions/${v}`),
  rollback: (id: string, version: number) => request<RuleView>("POST", `/api/rules/${enc(id)}/rollback`, { version }),
};
