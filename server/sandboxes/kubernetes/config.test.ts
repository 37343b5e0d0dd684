import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "bun:test";
import { ConfigError, loadConfig } from "../../config/load";
import { eventually, kubeTestEnv, TEST_ENCRYPTION_KEY } from "../../../test/support/kube-env";
import { createFakeSupervisor } from "../../../test/support/fake-supervisor";
import { resolveAccess } from "./supervisor";
import { buildTemplate, imageForHarness, type TemplateSettings } from "./templates";

const base = {
  LAP_DATA_DIR: mkdtempSync(join(tmpdir(), "lap-k8s-config-")),
  MASTER_KEY: "test-master-key-0123456789",
  ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
};

const settings = (over: Partial<TemplateSettings> = {}): TemplateSettings => ({
  namespace: "default",
  pullPolicy: "IfNotPresent",
  supervisorPort: 8080,
  containerEnv: {},
  workspace: { size: "10Gi" },
  service: false,
  baseLabels: { "lap.dev/managed": "true", "lap.dev/instance": "lap" },
  ...over,
});

describe("kubernetes configuration", () => {
  test("bad K8S_* values are rejected naming the variable", () => {
    const err = (() => {
      try {
        loadConfig({
          ...base,
          K8S_SUPERVISOR_ACCESS: "nodeport",
          K8S_WORKSPACE_SIZE: "lots",
          K8S_SANDBOX_READY_TIMEOUT_SECONDS: "1",
          K8S_INSTANCE: "Not_A_Label",
          K8S_SANDBOX_EGRESS: "anywhere",
          K8S_RECONCILE_INTERVAL_SECONDS: "0",
        });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    const text = err!.issues.join("\n");
    for (const name of [
      "K8S_SUPERVISOR_ACCESS",
      "K8S_WORKSPACE_SIZE",
      "K8S_SANDBOX_READY_TIMEOUT_SECONDS",
      "K8S_INSTANCE",
      "K8S_SANDBOX_EGRESS",
      "K8S_RECONCILE_INTERVAL_SECONDS",
    ])
      expect(text).toContain(name);
  });

  test("defaults: 180 s readiness timeout, supervisor port 8080, access auto (pod IP in a pod, API server proxy outside)", () => {
    const env = loadConfig(base).env;
    expect([env.K8S_SANDBOX_READY_TIMEOUT_SECONDS, env.K8S_SUPERVISOR_PORT, env.K8S_SUPERVISOR_ACCESS, env.K8S_INSTANCE]).toEqual([
      180,
      8080,
      "auto",
      "lap",
    ]);
    expect([env.K8S_SANDBOX_EGRESS, env.K8S_RECONCILE_INTERVAL_SECONDS]).toEqual(["lap-only", 60]);
    expect(resolveAccess("auto", true)).toBe("pod-ip");
    expect(resolveAccess("auto", false)).toBe("apiserver-proxy");
    expect(resolveAccess("service", false)).toBe("service");
  });

  test("per-harness images fall back to K8S_HARNESS_IMAGE", () => {
    const images = { default: "base:1", byHarness: { opencode: "oc:2", claude_sdk: "sdk:3", claude_code: undefined, codex: undefined } };
    expect(imageForHarness(images, "opencode")).toBe("oc:2");
    expect(imageForHarness(images, "claude-agent-sdk")).toBe("sdk:3");
    expect(imageForHarness(images, "claude-code")).toBe("base:1");
    expect(imageForHarness(images, "built-in")).toBe("base:1");
  });

  test("a storage class gives each sandbox a workspace volume claim; the name changes with the spec", () => {
    const plain = buildTemplate("img:1", settings());
    const withVolume = buildTemplate("img:1", settings({ workspace: { storageClass: "standard", size: "5Gi" }, runtimeClass: "gvisor" }));
    expect(plain.name).not.toBe(withVolume.name);
    expect(plain.template.spec.volumeClaimTemplates).toBeUndefined();
    expect(withVolume.template.spec.volumeClaimTemplates).toEqual([
      {
        metadata: { name: "workspace" },
        spec: { accessModes: ["ReadWriteOnce"], storageClassName: "standard", resources: { requests: { storage: "5Gi" } } },
      },
    ]);
    expect(withVolume.template.spec.podTemplate.spec.runtimeClassName).toBe("gvisor");
    expect(withVolume.template.spec.podTemplate.spec.volumes).toBeUndefined();
    expect(buildTemplate("img:1", settings()).name).toBe(plain.name);
  });
});

describe("supervisor reached by pod IP (LAP inside the cluster)", () => {
  const sup = createFakeSupervisor("pod-ip");
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (req) => sup.handle(req, new URL(req.url).pathname) });
  afterAll(() => server.stop(true));

  test("connect and bind go straight to http://<podIP>:<port> with the supervisor token", async () => {
    const t = await kubeTestEnv({ K8S_SUPERVISOR_ACCESS: "pod-ip", K8S_SUPERVISOR_PORT: String(server.port) }, { podIp: "127.0.0.1" });
    try {
      const h = await t.lap.provider.create({ harness: "opencode", env: {}, workspaceId: "w" });
      const waiting = t.lap.provider.waitReady(h.id, { timeoutMs: 3000 });
      const pod = await eventually(() => t.podOf(h.id));
      await eventually(() => t.fake.store.get("pods", "default", pod));
      t.fake.drive(pod, "ready");
      await waiting;
      await t.lap.provider.bind(h.id, { sessionId: "s1", agentId: "a", gatewayKey: "k", gatewayBaseUrl: "http://lap", model: "m" });
      const conn = await t.lap.provider.connect(h.id);
      expect(conn.baseUrl).toBe(`http://127.0.0.1:${server.port}`);
      expect((await (await conn.fetch(`${conn.baseUrl}/v1/whoami`)).json()).sessionId).toBe("s1");
      expect((await fetch(`${conn.baseUrl}/v1/whoami`)).status).toBe(401);
      // Nothing went through the API server's proxy.
      expect(t.fake.requests.some((r) => r.includes("/proxy"))).toBe(false);
    } finally {
      await t.close();
    }
  }, 20_000);
});

describe("label values", () => {
  test("harness names become valid label values", async () => {
    const { labelValue } = await import("./provider");
    const valid = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
    for (const [input, out] of [
      ["opencode", "opencode"],
      ["claude code/v2", "claude-code-v2"],
      ["-x-", "x"],
      ["!!!", "unknown"],
      [`${"a".repeat(70)}-`, "a".repeat(63)],
    ] as const) {
      expect(labelValue(input)).toBe(out);
      expect(labelValue(input)).toMatch(valid);
    }
  });
});

describe("service access (LAP in the cluster, by the headless Service's name)", () => {
  test("the template asks agent-sandbox for a Service and connect uses status.serviceFQDN with the token", async () => {
    const { supervisorConnection } = await import("./supervisor");
    expect(buildTemplate("img:1", settings({ service: true })).template.spec.service).toBe(true);
    expect(buildTemplate("img:1", settings()).template.spec.service).toBeUndefined();
    const conn = supervisorConnection({
      access: "service",
      kube: {} as never,
      namespace: "lap-sandboxes",
      port: 8080,
      pod: { metadata: { name: "sb-1" }, status: { podIP: "10.0.0.7" } },
      sandbox: { metadata: { name: "sb-1" }, status: { serviceFQDN: "sb-1.lap-sandboxes.svc.cluster.local" } },
      token: "tok",
    });
    expect(conn.baseUrl).toBe("http://sb-1.lap-sandboxes.svc.cluster.local:8080");
    const podIp = supervisorConnection({
      access: "pod-ip",
      kube: {} as never,
      namespace: "n",
      port: 8080,
      pod: { metadata: { name: "p" }, status: { podIP: "fd00::7" } },
      sandbox: { metadata: { name: "p" } },
      token: "t",
    });
    expect(podIp.baseUrl).toBe("http://[fd00::7]:8080");
  });
});
