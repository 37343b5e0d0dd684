import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { sandboxTemplatesYaml } from "../../../scripts/k8s-manifests";
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
    method === "GET" ? (!name ? (url.searchParams.get("watch") ? "watch" : "list") : "get") : { POST: "create", PUT: "update", PATCH: "patch", DELETE: "delete" }[method!]!;
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
    for (const d of docs.filter((x) => x.kind === "SandboxWarmPool")) expect(docs.some((x) => x.kind === "SandboxTemplate" && x.metadata.name === d.spec.sandboxTemplateRef.name)).toBe(true);
  });

  test("the Role allows every call a whole lifecycle makes, and grants nothing that goes unused", async () => {
    const { provider, pools } = t.lap;
    const h = await provider.create({ harness: "opencode", env: {}, workspaceId: "rbac" });
    await provider.waitReady(h.id, { timeoutMs: 3000 });
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
    await t.lap.kube.create({ group: "extensions.agents.x-k8s.io", version: "v1beta1", plural: "sandboxwarmpools", kind: "SandboxWarmPool" }, "default", {
      metadata: { name: "lap-stale-00000000", labels: { "lap.dev/managed": "true", "lap.dev/instance": "lap" } },
      spec: { replicas: 0, sandboxTemplateRef: { name: "lap-stale-00000000" } },
    });
    await t.lap.reconcile(() => false);

    const used = new Set(t.fake.requests.map(rbacOf).map((r) => `${r.group}|${r.resource}|${r.verb}`));
    const role = parseAllDocuments(read("deploy/k8s/rbac.yaml"))
      .map((d) => d.toJS())
      .find((d) => d.kind === "Role");
    const granted = new Set<string>();
    for (const rule of role.rules) for (const g of rule.apiGroups) for (const r of rule.resources) for (const v of rule.verbs) granted.add(`${g}|${r}|${v}`);
    const missing = [...used].filter((u) => !granted.has(u));
    expect(missing).toEqual([]);
    expect([...granted].filter((g) => !used.has(g))).toEqual([]);
    expect(role.metadata.namespace).toBe("lap-sandboxes");
    expect(JSON.stringify(role)).not.toContain('"*"');
  });
});
