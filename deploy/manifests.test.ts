// The deployment files, checked offline as `kubectl apply` and `docker compose` would check them, and
// against what the image really is (the root Dockerfile) and what LAP really reads (its config schema).
// The image itself is built and run by scripts/image/image-test.ts (the `image` suite).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { envExample } from "../bin/commands/env-example";
import { describeEnv, envSchema } from "../server/config/schema";
import { EgressCa } from "../server/sandboxes/egress/ca";
import { createTestApp, type TestApp } from "../test/support/app";
import {
  KUBERNETES_VERSION,
  kubernetesDocuments,
  kubernetesFiles,
  validateComposeText,
  validateKubernetesObject,
  validateKubernetesText,
} from "../scripts/validate-deploy";

const ROOT = join(import.meta.dir, "..");
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
type Json = Record<string, any>;

/** The Dockerfile's final stage: ENV, USER's uid, EXPOSE, VOLUME. */
function runtimeStage() {
  const text = read("Dockerfile");
  const stage = text.slice(text.lastIndexOf("\nFROM "));
  const env: Record<string, string> = {};
  for (const m of stage.matchAll(/^\s*(?:ENV\s+)?([A-Z_]+)=(\S+?)\s*\\?$/gm)) env[m[1]!] = m[2]!;
  return {
    env,
    uid: Number(/useradd[^\n]*--uid (\d+)/.exec(stage)?.[1]),
    user: /^USER (\S+)/m.exec(stage)?.[1],
    port: Number(/^EXPOSE (\d+)/m.exec(stage)?.[1]),
    volume: JSON.parse(/^VOLUME (\[.*\])/m.exec(stage)?.[1] ?? "[]")[0] as string,
  };
}

const lapDocs = () => kubernetesDocuments(read("deploy/k8s/lap.yaml"));
const byKind = (docs: Json[], kind: string) => docs.find((d) => d.kind === kind)!;
const knownVariables = new Set(Object.keys(envSchema.shape));

describe(`Kubernetes manifests against the Kubernetes ${KUBERNETES_VERSION} schemas`, () => {
  test("every manifest under deploy/k8s validates (schemas, and no unknown field)", () => {
    const files = kubernetesFiles();
    expect(files.map((f) => f.slice(ROOT.length + 1))).toEqual(
      expect.arrayContaining([
        "deploy/k8s/lap.yaml",
        "deploy/k8s/rbac.yaml",
        "deploy/k8s/network-policy.yaml",
        "deploy/k8s/sandbox-templates.yaml",
        "deploy/k8s/examples/lap-secrets.yaml",
      ]),
    );
    for (const file of files)
      expect({ file, problems: validateKubernetesText(readFileSync(file, "utf8")) }).toEqual({ file, problems: [] });
  });

  test("the validator rejects a misspelt field, a wrong type, a missing required field and a kind it has no schema for", () => {
    const lap = read("deploy/k8s/lap.yaml");
    expect(validateKubernetesText(lap.replace("readinessProbe:", "readinesProbe:")).join("\n")).toContain("readinesProbe: unknown field");
    expect(validateKubernetesText(lap.replace("replicas: 2", "replicas: two")).join("\n")).toContain("spec/replicas must be integer");
    expect(validateKubernetesText(lap.replace("        - name: lap\n", "        - nam: lap\n")).join("\n")).toMatch(
      /containers\/0 must have required property '?name'?/,
    );
    expect(validateKubernetesObject({ apiVersion: "example.com/v1", kind: "Widget" })).toEqual([
      "example.com/v1/Widget: no schema for this kind here (add it to scripts/validate-deploy.ts)",
    ]);
    const templates = read("deploy/k8s/sandbox-templates.yaml").replace("automountServiceAccountToken", "automountServiceAccountTokn");
    expect(validateKubernetesText(templates).join("\n")).toContain("spec.podTemplate: spec.automountServiceAccountTokn: unknown field");
  });

  test("lap.yaml deploys the image the root Dockerfile builds, as that image expects to run", () => {
    const docs = lapDocs();
    const deployment = byKind(docs, "Deployment");
    const pod = deployment.spec.template.spec;
    const lap = pod.containers.find((c: Json) => c.name === "lap");
    const image = runtimeStage();
    // bin/kind-up.sh builds and loads exactly this tag from the root Dockerfile.
    expect(lap.image).toBe("lap:dev");
    expect(read("bin/kind-up.sh")).toContain('build -t lap:dev "$ROOT"');
    expect(pod.initContainers.map((c: Json) => c.image)).toEqual(["lap:dev"]);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: image.uid, runAsGroup: image.uid, fsGroup: image.uid });
    expect(image.user).toBe("lap");
    expect(lap.ports.find((p: Json) => p.name === "http").containerPort).toBe(image.port);
    expect(lap.volumeMounts.find((m: Json) => m.name === "data").mountPath).toBe(image.env.LAP_DATA_DIR);
    expect(image.volume).toBe(image.env.LAP_DATA_DIR);
    expect(lap.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    // Every variable set is one LAP reads (a misspelt name would be silently ignored).
    for (const e of lap.env) expect({ name: e.name, known: knownVariables.has(e.name) }).toEqual({ name: e.name, known: true });
    expect(Object.fromEntries(lap.env.filter((e: Json) => "value" in e).map((e: Json) => [e.name, e.value]))).toMatchObject({
      LAP_ENV: "production",
      LAP_SANDBOX: "kubernetes",
      HOST: "0.0.0.0",
    });
  });

  test("two or more replicas; the Service and the PodDisruptionBudget select them and let one go at a time", () => {
    const docs = lapDocs();
    const deployment = byKind(docs, "Deployment");
    const labels = deployment.spec.template.metadata.labels;
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(deployment.spec.selector.matchLabels).toEqual(labels);
    expect(byKind(docs, "Service").spec.selector).toEqual(labels);
    const pdb = byKind(docs, "PodDisruptionBudget");
    expect(pdb.spec.selector.matchLabels).toEqual(labels);
    expect(pdb.spec.minAvailable).toBeGreaterThanOrEqual(1);
    expect(pdb.spec.minAvailable).toBeLessThan(deployment.spec.replicas);
    // The sandbox NetworkPolicy lets in and out exactly the pods labelled as LAP.
    expect(read("deploy/k8s/network-policy.yaml")).toContain("app.kubernetes.io/name: lap");
    expect(labels["app.kubernetes.io/name"]).toBe("lap");
  });

  test("every Secret key lap.yaml reads is in the example Secret; the egress CA lands where LAP looks for it", () => {
    const pod = byKind(lapDocs(), "Deployment").spec.template.spec;
    const lap = pod.containers.find((c: Json) => c.name === "lap");
    const fromEnv = lap.env.filter((e: Json) => e.valueFrom?.secretKeyRef).map((e: Json) => e.valueFrom.secretKeyRef);
    const volume = pod.volumes.find((v: Json) => v.secret);
    const keys = [...fromEnv.map((r: Json) => r.key), ...volume.secret.items.map((i: Json) => i.key)];
    for (const ref of fromEnv) expect(ref.name).toBe("lap-secrets");
    expect(volume.secret.secretName).toBe("lap-secrets");
    const example = kubernetesDocuments(read("deploy/k8s/examples/lap-secrets.yaml"))[0]!;
    expect(example.metadata.name).toBe("lap-secrets");
    expect(Object.keys(example.stringData).sort()).toEqual([...new Set(keys)].sort());
    // The init container copies ca.key and ca.crt into LAP_DATA_DIR/egress-ca, the directory EgressCa uses.
    const init = pod.initContainers.find((c: Json) => c.name === "egress-ca");
    const dataDir = runtimeStage().env.LAP_DATA_DIR!;
    expect(init.command.join(" ")).toContain(`${new EgressCa(dataDir).dir}/`);
    expect(volume.secret.items.map((i: Json) => i.path).sort()).toEqual(["ca.crt", "ca.key"]);
  });

  describe("probes ask routes LAP serves", () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp();
    }, 60_000);
    afterAll(async () => {
      await t?.close();
    });
    test("startup, liveness and readiness paths answer 200 without a key", async () => {
      const lap = byKind(lapDocs(), "Deployment").spec.template.spec.containers[0];
      const paths = ["startupProbe", "livenessProbe", "readinessProbe"].map((p) => lap[p].httpGet.path as string);
      expect(paths).toEqual(["/health/liveliness", "/health/liveliness", "/health/readiness"]);
      for (const path of paths)
        expect({ path, status: (await t.request("GET", path, { key: null })).status }).toEqual({ path, status: 200 });
    });
  });
});

describe("compose.yaml against the Compose Specification", () => {
  const compose = () => parse(read("compose.yaml")) as Json;

  test("validates, and the validator rejects an unknown key and a bad value", () => {
    const text = read("compose.yaml");
    expect(validateComposeText(text)).toEqual([]);
    expect(validateComposeText(text.replace("depends_on:", "depend_on:"))).toContain(
      "/services/lap must NOT have additional properties (depend_on)",
    );
    expect(validateComposeText(text.replace("condition: service_healthy", "condition: healthy")).join("\n")).toContain(
      "/services/lap/depends_on/postgres/condition must be equal to one of the allowed values",
    );
  });

  test("lap is built from the root Dockerfile, waits for a healthy PostgreSQL with a named volume, and runs as the image expects", () => {
    const { services, volumes } = compose();
    const image = runtimeStage();
    expect(services.lap.build).toBe(".");
    expect(services.lap.depends_on).toEqual({ postgres: { condition: "service_healthy" } });
    expect(services.postgres.healthcheck.test.join(" ")).toContain("pg_isready");
    const [pgVolume] = services.postgres.volumes[0].split(":");
    expect(Object.keys(volumes)).toContain(pgVolume);
    expect(services.lap.volumes).toEqual([`lap-data:${image.env.LAP_DATA_DIR}`]);
    expect(services.lap.ports).toEqual([`\${LAP_PUBLISH:-127.0.0.1:3000}:${image.port}`]);
    // What bubblewrap needs inside the container (README.md, "Deploy"); no extra capability, no privileged.
    expect(services.lap.security_opt).toEqual(["seccomp=unconfined", "apparmor=unconfined", "systempaths=unconfined"]);
    expect(services.lap.privileged).toBeUndefined();
    expect(services.lap.cap_add).toBeUndefined();
    expect(services.lap.environment.LAP_ENV).toBe("production");
    expect(services.lap.environment.DATABASE_URL).toMatch(/^postgres:\/\/lap:\$\{POSTGRES_PASSWORD:\?[^}]+\}@postgres:5432\/lap$/);
    for (const name of Object.keys(services.lap.environment))
      expect({ name, known: knownVariables.has(name) }).toEqual({ name, known: true });
    // The secrets come from .env and are required: compose stops with the message when one is missing.
    for (const name of ["MASTER_KEY", "ENCRYPTION_KEY"]) expect(services.lap.environment[name]).toStartWith(`\${${name}:?`);
    expect(services.lap.env_file).toEqual([{ path: ".env", required: true }]);
  });

  test(".env.example is generated from LAP's config schema and lists every variable, and every one compose.yaml reads", () => {
    const example = read(".env.example");
    expect(example).toBe(envExample());
    for (const { name } of describeEnv())
      expect({ name, listed: new RegExp(`^#? ?${name}=`, "m").test(example) }).toEqual({ name, listed: true });
    const interpolated = [...read("compose.yaml").matchAll(/\$\{([A-Z_]+)/g)].map((m) => m[1]!);
    for (const name of new Set(interpolated))
      expect({ name, listed: new RegExp(`^#? ?${name}=`, "m").test(example) }).toEqual({ name, listed: true });
    // The three required values are uncommented and empty: nothing secret is shipped.
    for (const name of ["MASTER_KEY", "ENCRYPTION_KEY", "POSTGRES_PASSWORD"]) expect(example).toMatch(new RegExp(`^${name}=$`, "m"));
    expect(read(".gitignore").split("\n")).toContain(".env");
  });
});

describe("Dockerfiles and build scripts", () => {
  const bunStage = (text: string) => text.slice(text.indexOf("FROM ${BASE_IMAGE} AS bun"), text.indexOf("\n# 2."));

  test("the LAP and harness images take the same Bun (version and pinned digests) from the same base", () => {
    const root = read("Dockerfile");
    const harness = read("deploy/images/Dockerfile");
    expect(bunStage(root).length).toBeGreaterThan(200);
    expect(bunStage(harness)).toBe(bunStage(root));
    expect(/^ARG BASE_IMAGE=(\S+)/m.exec(harness)?.[1]).toBe(/^ARG BASE_IMAGE=(\S+)/m.exec(root)?.[1] ?? "");
    // ... and the Bun `npm start` installs (scripts/bootstrap.mjs).
    expect(/ARG BUN_VERSION=(\S+)/.exec(root)?.[1]).toBe(/const BUN_VERSION = "([^"]+)"/.exec(read("scripts/bootstrap.mjs"))?.[1] ?? "");
  });

  test("the build context leaves out local installs, data and secrets", () => {
    const ignore = read(".dockerignore").split("\n");
    for (const entry of ["node_modules", ".tools", ".lap", ".env", ".git", "ui/dist"]) expect(ignore).toContain(entry);
  });

  test("bin/kind-up.sh and scripts/image/base-image.sh are valid shell", () => {
    for (const script of ["bin/kind-up.sh", "scripts/image/base-image.sh"]) {
      const r = Bun.spawnSync(["bash", "-n", join(ROOT, script)], { stderr: "pipe" });
      expect({ script, code: r.exitCode, stderr: r.stderr.toString() }).toEqual({ script, code: 0, stderr: "" });
    }
  });

  test("bunfig.toml holds the install and test settings", async () => {
    const bunfig = (await import("../bunfig.toml")).default as Json;
    expect(bunfig.install).toMatchObject({ auto: "disable", exact: true, saveTextLockfile: true });
    expect(bunfig.telemetry).toBe(false);
  });
});
