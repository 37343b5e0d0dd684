import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { manifestSettings, networkPolicyYaml, sandboxTemplatesYaml } from "../../../scripts/k8s-manifests";
import { buildTemplate, sandboxNetworkPolicy } from "./templates";
import { eventually, kubeTestEnv, type KubeTestEnv } from "../../../test/support/kube-env";

const root = new URL("../../../", import.meta.url);
const read = (p: string) => readFileSync(new URL(p, root), "utf8");

/** `METHOD /path?query status` from the fake's log → the RBAC (group, resource, verb) it needs. */
function rbacOf(line: string): { group: string; resource: string; verb: string } {
  const [method, target] = line.split(" ");
  const url = new URL(target!, "https://x");
  const m = /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)\/namespaces\/[^/]+\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?/.exec(url.pathname)!;
  const [, group = "", plural, name, sub] = m;
  const resource = sub ? `${plural}/${sub}` : plural!;
  if (sub === "proxy") return { group, resource, verb: method === "GET" ? "get" : "create" };
  const verb =
    method === "GET"
      ? !name
        ? url.searchParams.get("watch")
          ? "watch"
          : "list"
        : "get"
      : { POST: "create", PUT: "update", PATCH: "patch", DELETE: "delete" }[method!]!;
  return { group, resource, verb };
}

let t: KubeTestEnv;
beforeAll(async () => {
  t = await kubeTestEnv({ WARM_POOL_SIZE: "1", K8S_HARNESS_IMAGE_CODEX: "codex:1" }, { autoReadyMs: 10 });
}, 60_000);
afterAll(() => t.close());

describe("deploy/k8s manifests", () => {
  test("sandbox-templates.yaml is exactly what LAP creates (regenerate with bun scripts/k8s-manifests.ts)", () => {
    expect(read("deploy/k8s/sandbox-templates.yaml")).toBe(sandboxTemplatesYaml());
    const docs = parseAllDocuments(read("deploy/k8s/sandbox-templates.yaml")).map((d) => d.toJS());
    expect(docs.map((d) => `${d.apiVersion} ${d.kind}`)).toContain("extensions.agents.x-k8s.io/v1beta1 SandboxTemplate");
    for (const d of docs.filter((x) => x.kind === "SandboxWarmPool"))
      expect(docs.some((x) => x.kind === "SandboxTemplate" && x.metadata.name === d.spec.sandboxTemplateRef.name)).toBe(true);
  });

  test("the Role allows every call a whole lifecycle makes, and grants nothing that goes unused", async () => {
    const { provider, pools } = t.lap;
    // The first claim adopts a warm pod the controller does not label, so readiness takes its
    // by-name pod read (the fallback) and that call is part of the lifecycle too.
    await eventually(async () => (await pools.status()).some((p) => p.name.startsWith("lap-opencode-") && p.readyReplicas === 1));
    t.fake.controller.opts.labelAdoptedPods = false;
    const h = await provider.create({ harness: "opencode", env: {}, workspaceId: "rbac" });
    await provider.waitReady(h.id, { timeoutMs: 3000 });
    t.fake.controller.opts.labelAdoptedPods = true;
    expect(t.fake.requests.some((r) => /^GET \/api\/v1\/namespaces\/[^/]+\/pods\/[^/?]+ /.test(r))).toBe(true);
    await provider.bind(h.id, { sessionId: "s", agentId: "a", gatewayKey: "k", gatewayBaseUrl: "http://lap", model: "m" });
    const conn = await provider.connect(h.id);
    await conn.fetch(`${conn.baseUrl}/v1/whoami`);
    await provider.stop(h.id);
    await provider.waitReady(h.id, { timeoutMs: 3000 });
    await pools.setTargets([{ harness: "codex", size: 1 }]);
    await pools.status();
    await eventually(async () => (await pools.status()).some((p) => p.readyReplicas === 1));
    await pools.recycleExpired(0);
    await t.lap.reconcile(() => false); // the claim is an orphan now: deleted
    await t.lap.kube.create(
      { group: "extensions.agents.x-k8s.io", version: "v1beta1", plural: "sandboxwarmpools", kind: "SandboxWarmPool" },
      "default",
      {
        metadata: { name: "lap-stale-00000000", labels: { "lap.dev/managed": "true", "lap.dev/instance": "lap" } },
        spec: { replicas: 0, sandboxTemplateRef: { name: "lap-stale-00000000" } },
      },
    );
    await t.lap.reconcile(() => false);

    const used = new Set(t.fake.requests.map(rbacOf).map((r) => `${r.group}|${r.resource}|${r.verb}`));
    const role = parseAllDocuments(read("deploy/k8s/rbac.yaml"))
      .map((d) => d.toJS())
      .find((d) => d.kind === "Role");
    const granted = new Set<string>();
    for (const rule of role.rules)
      for (const g of rule.apiGroups) for (const r of rule.resources) for (const v of rule.verbs) granted.add(`${g}|${r}|${v}`);
    const missing = [...used].filter((u) => !granted.has(u));
    expect(missing).toEqual([]);
    expect([...granted].filter((g) => !used.has(g))).toEqual([]);
    expect(role.metadata.namespace).toBe("lap-sandboxes");
    expect(JSON.stringify(role)).not.toContain('"*"');
  });

  test("network-policy.yaml: sandbox pods take ingress only from LAP's pods on the supervisor port, and reach only LAP's pods and DNS", () => {
    expect(read("deploy/k8s/network-policy.yaml")).toBe(networkPolicyYaml());
    const [policy] = parseAllDocuments(read("deploy/k8s/network-policy.yaml")).map((d) => d.toJS());
    const docs = parseAllDocuments(read("deploy/k8s/lap.yaml")).map((d) => d.toJS());
    const deployment = docs.find((d) => d.kind === "Deployment");
    const templates = parseAllDocuments(read("deploy/k8s/sandbox-templates.yaml"))
      .map((d) => d.toJS())
      .filter((d) => d.kind === "SandboxTemplate");
    expect(policy).toMatchObject({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { namespace: "lap-sandboxes" } });
    expect(policy.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    // It selects every sandbox pod the templates make, and not LAP's own pods.
    const selects = (labels: Record<string, string>) =>
      Object.entries(policy.spec.podSelector.matchLabels).every(([k, v]) => labels[k] === v);
    expect(templates.length).toBeGreaterThan(0);
    for (const t of templates) expect(selects(t.spec.podTemplate.metadata.labels)).toBe(true);
    expect(selects(deployment.spec.template.metadata.labels)).toBe(false);
    // Ingress: one rule, from pods labelled like LAP's Deployment, to the supervisor's container port only.
    const lapLabels = deployment.spec.template.metadata.labels;
    const supervisorPort = templates[0].spec.podTemplate.spec.containers[0].ports[0].containerPort;
    expect(policy.spec.ingress).toHaveLength(1);
    const [inRule] = policy.spec.ingress;
    expect(inRule.from.map((f: any) => f.podSelector.matchLabels)).toEqual([lapLabels]);
    expect(inRule.ports).toEqual([{ protocol: "TCP", port: supervisorPort }]);
    // Egress: LAP's pods, and DNS (UDP+TCP 53) on kube-dns; no ipBlock, so nothing else.
    expect(policy.spec.egress).toEqual([
      { to: [{ namespaceSelector: {}, podSelector: { matchLabels: lapLabels } }] },
      {
        to: [
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
            podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
          },
        ],
        ports: [
          { protocol: "UDP", port: 53 },
          { protocol: "TCP", port: 53 },
        ],
      },
    ]);
    expect(JSON.stringify(policy)).not.toContain("ipBlock");
    // The templates carry the same rules for agent-sandbox's managed per-template policy.
    for (const t of templates) {
      expect(t.spec.networkPolicyManagement).toBe("Managed");
      expect(t.spec.networkPolicy).toEqual({ ingress: policy.spec.ingress, egress: policy.spec.egress });
    }
  });

  test("sandbox pods may reach LAP's egress proxy port: the Deployment and Service expose K8S_EGRESS_PROXY_PORT and the policy's LAP rule covers it", () => {
    const [policy] = parseAllDocuments(read("deploy/k8s/network-policy.yaml")).map((d) => d.toJS());
    const docs = parseAllDocuments(read("deploy/k8s/lap.yaml")).map((d) => d.toJS());
    const deployment = docs.find((d) => d.kind === "Deployment");
    const service = docs.find((d) => d.kind === "Service");
    const container = deployment.spec.template.spec.containers[0];
    const envOf = (name: string) => container.env.find((e: any) => e.name === name)?.value;
    const egressPort = Number(envOf("K8S_EGRESS_PROXY_PORT"));
    expect(egressPort).toBeGreaterThan(0);
    expect(container.ports).toContainEqual({ name: "egress", containerPort: egressPort });
    expect(service.spec.ports).toContainEqual({ name: "egress", port: egressPort, targetPort: "egress" });
    // Pods reach the proxy through the Service's name.
    expect(envOf("K8S_EGRESS_PROXY_HOST")).toBe(`${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local`);
    // The rule to LAP's pods lists no ports, so it allows this one (and LAP's HTTP port) and no other destination.
    const toLap = policy.spec.egress.filter((r: any) =>
      r.to.some((t: any) => t.podSelector?.matchLabels?.["app.kubernetes.io/name"] === "lap"),
    );
    expect(toLap).toHaveLength(1);
    expect(toLap[0].ports).toBeUndefined();
  });

  test("K8S_SANDBOX_EGRESS=internet adds the public internet and nothing private; the template (and its name) change with it", () => {
    const open = sandboxNetworkPolicy({ ...manifestSettings(), egress: "internet" });
    const blocks = open.egress.flatMap((r: any) => r.to).filter((t: any) => t.ipBlock);
    expect(blocks).toEqual([
      { ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"] } },
    ]);
    expect(open.ingress).toEqual(sandboxNetworkPolicy(manifestSettings()).ingress);
    expect(buildTemplate("img:1", { ...manifestSettings(), egress: "internet" }).name).not.toBe(
      buildTemplate("img:1", manifestSettings()).name,
    );
  });
});
