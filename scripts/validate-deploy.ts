/**
 * Validates the deployment files offline, as `kubectl apply` and `docker compose` would reject them:
 *  - every Kubernetes manifest under deploy/k8s against the Kubernetes 1.36 API schemas (kubernetes-models
 *    5.1.0, generated from the 1.36 OpenAPI), plus unknown fields (kubectl's default strict field validation)
 *    checked against @kubernetes/client-node's models; agent-sandbox objects, whose CRDs are not packaged
 *    offline, have their embedded core types (pod template, NetworkPolicy rules) checked the same way;
 *  - compose.yaml against the Compose Specification JSON schema (as shipped in the dclint package), with ajv.
 * `bun scripts/validate-deploy.ts` prints each problem; deploy/manifests.test.ts runs it in CI.
 */
import * as k8s from "@kubernetes/client-node";
import Ajv from "ajv";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { PodTemplateSpec } from "kubernetes-models/v1/PodTemplateSpec";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { NetworkPolicyEgressRule } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyEgressRule";
import { NetworkPolicyIngressRule } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyIngressRule";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";

export const KUBERNETES_VERSION = "1.36";
export const ROOT = join(import.meta.dir, "..");

type Json = Record<string, unknown>;
type Validatable = { validate(): void };
type ModelClass = new (data: never) => Validatable;

/** apiVersion/kind -> the schema model, and the client-node type naming its fields. */
const CORE: Record<string, { model: ModelClass; fields: string }> = {
  "apps/v1/Deployment": { model: Deployment as unknown as ModelClass, fields: "V1Deployment" },
  "v1/Service": { model: Service as unknown as ModelClass, fields: "V1Service" },
  "v1/Namespace": { model: Namespace as unknown as ModelClass, fields: "V1Namespace" },
  "v1/ServiceAccount": { model: ServiceAccount as unknown as ModelClass, fields: "V1ServiceAccount" },
  "v1/Secret": { model: Secret as unknown as ModelClass, fields: "V1Secret" },
  "policy/v1/PodDisruptionBudget": { model: PodDisruptionBudget as unknown as ModelClass, fields: "V1PodDisruptionBudget" },
  "rbac.authorization.k8s.io/v1/Role": { model: Role as unknown as ModelClass, fields: "V1Role" },
  "rbac.authorization.k8s.io/v1/RoleBinding": { model: RoleBinding as unknown as ModelClass, fields: "V1RoleBinding" },
  "networking.k8s.io/v1/NetworkPolicy": { model: NetworkPolicy as unknown as ModelClass, fields: "V1NetworkPolicy" },
};

/** agent-sandbox kinds (no schema offline): the core types they embed, by path. */
const AGENT_SANDBOX: Record<string, Array<{ path: string[]; model: ModelClass; fields: string; each?: boolean }>> = {
  "extensions.agents.x-k8s.io/v1beta1/SandboxTemplate": [
    { path: ["spec", "podTemplate"], model: PodTemplateSpec as unknown as ModelClass, fields: "V1PodTemplateSpec" },
    {
      path: ["spec", "networkPolicy", "ingress"],
      model: NetworkPolicyIngressRule as unknown as ModelClass,
      fields: "V1NetworkPolicyIngressRule",
      each: true,
    },
    {
      path: ["spec", "networkPolicy", "egress"],
      model: NetworkPolicyEgressRule as unknown as ModelClass,
      fields: "V1NetworkPolicyEgressRule",
      each: true,
    },
  ],
  "extensions.agents.x-k8s.io/v1beta1/SandboxWarmPool": [],
};

type AttributeTypeMap = Array<{ baseName: string; type: string }>;
const modelFields = (type: string): AttributeTypeMap | undefined =>
  (k8s as unknown as Record<string, { getAttributeTypeMap?: () => AttributeTypeMap }>)[type]?.getAttributeTypeMap?.();

/** Fields the API server would reject as unknown (kubectl apply's strict field validation). */
export function unknownFields(value: unknown, type: string, at = ""): string[] {
  const arrayOf = /^Array<(.+)>$/.exec(type)?.[1];
  if (arrayOf) return Array.isArray(value) ? value.flatMap((v, i) => unknownFields(v, arrayOf, `${at}[${i}]`)) : [];
  const fields = modelFields(type);
  if (!fields || value === null || typeof value !== "object" || Array.isArray(value)) return [];
  const problems: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    const field = fields.find((f) => f.baseName === key);
    if (!field) problems.push(`${at ? `${at}.` : ""}${key}: unknown field (${type} has ${fields.map((f) => f.baseName).join(", ")})`);
    else problems.push(...unknownFields(child, field.type, `${at ? `${at}.` : ""}${key}`));
  }
  return problems;
}

function schemaProblems(model: ModelClass, data: unknown): string[] {
  try {
    new model(data as never).validate();
    return [];
  } catch (err) {
    return (err as Error).message.split("\n").filter(Boolean);
  }
}

const at = (doc: Json, path: string[]): unknown =>
  path.reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Json)[k] : undefined), doc);

/** Problems of one Kubernetes object; an object of a kind with no schema here is itself a problem. */
export function validateKubernetesObject(doc: Json): string[] {
  const id = `${String(doc.apiVersion)}/${String(doc.kind)}`;
  const core = CORE[id];
  if (core) return [...schemaProblems(core.model, doc), ...unknownFields(doc, core.fields)];
  const embedded = AGENT_SANDBOX[id];
  if (!embedded) return [`${id}: no schema for this kind here (add it to scripts/validate-deploy.ts)`];
  const problems: string[] = [];
  for (const part of embedded) {
    const value = at(doc, part.path);
    const values = part.each ? (Array.isArray(value) ? value : []) : [value];
    if (!part.each && value === undefined) problems.push(`${part.path.join(".")}: missing`);
    values.forEach((v, i) => {
      const where = `${part.path.join(".")}${part.each ? `[${i}]` : ""}`;
      for (const p of [...schemaProblems(part.model, v), ...unknownFields(v, part.fields)]) problems.push(`${where}: ${p}`);
    });
  }
  return problems;
}

export interface FileProblems {
  file: string;
  problems: string[];
}

export function kubernetesDocuments(text: string): Json[] {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length) throw new Error(d.errors.map((e) => e.message).join("; "));
      return d.toJS() as Json | null;
    })
    .filter((d): d is Json => d !== null && typeof d === "object");
}

export function validateKubernetesText(text: string): string[] {
  let docs: Json[];
  try {
    docs = kubernetesDocuments(text);
  } catch (err) {
    return [`YAML: ${(err as Error).message}`];
  }
  if (docs.length === 0) return ["no Kubernetes object in the file"];
  return docs.flatMap((doc) =>
    validateKubernetesObject(doc).map((p) => `${String(doc.kind)} ${String((doc.metadata as Json | undefined)?.name)}: ${p}`),
  );
}

/** Every .yaml under deploy/k8s (examples/ included). */
export function kubernetesFiles(dir = join(ROOT, "deploy", "k8s")): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".yaml") || f.endsWith(".yml"))
    .sort()
    .map((f) => join(dir, f));
}

let composeValidator: ReturnType<Ajv["compile"]> | undefined;
export const COMPOSE_SCHEMA = join(ROOT, "node_modules", "dclint", "schemas", "compose.schema.json");

/** compose.yaml's problems against the Compose Specification schema. */
export function validateComposeText(text: string): string[] {
  if (!composeValidator) {
    // `strict: false`: the schema uses annotations ajv does not know (deprecated, x- patterns); it still checks
    // every keyword that constrains values. The schema names draft-07 by its https URL, which ajv knows as http.
    const ajv = new Ajv({ allErrors: true, strict: false });
    const schema = JSON.parse(readFileSync(COMPOSE_SCHEMA, "utf8")) as { $schema?: string };
    if (schema.$schema?.startsWith("https://json-schema.org/draft-07/schema")) schema.$schema = "http://json-schema.org/draft-07/schema#";
    composeValidator = ajv.compile(schema);
  }
  const docs = parseAllDocuments(text);
  if (docs.length !== 1 || docs[0]!.errors.length)
    return [`YAML: ${docs.flatMap((d) => d.errors.map((e) => e.message)).join("; ") || "expected one document"}`];
  const data = docs[0]!.toJS();
  if (composeValidator(data)) return [];
  return (composeValidator.errors ?? []).map(
    (e) =>
      `${e.instancePath || "/"} ${e.message}${e.params && "additionalProperty" in e.params ? ` (${String(e.params.additionalProperty)})` : ""}`,
  );
}

if (import.meta.main) {
  const results: FileProblems[] = [
    ...kubernetesFiles().map((file) => ({ file, problems: validateKubernetesText(readFileSync(file, "utf8")) })),
    { file: join(ROOT, "compose.yaml"), problems: validateComposeText(readFileSync(join(ROOT, "compose.yaml"), "utf8")) },
  ];
  for (const r of results) {
    console.log(`${r.problems.length ? "✗" : "✓"} ${r.file.slice(ROOT.length + 1)}`);
    for (const p of r.problems) console.log(`    ${p}`);
  }
  console.log(`Kubernetes ${KUBERNETES_VERSION} schemas (kubernetes-models), Compose Specification (dclint's copy)`);
  process.exit(results.some((r) => r.problems.length) ? 1 : 0);
}
