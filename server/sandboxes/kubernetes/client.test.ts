import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFakeKubeApiServer, type FakeKubeApiServer } from "../../../test/support/fake-kube-apiserver";
import { KubeApiError, KubeClient, type WatchEvent } from "./client";
import { kubeAccessFrom, loadKubeConfig } from "./kubeconfig";
import { POD, SANDBOX_TEMPLATE, type KubeObject } from "./resources";

let fake: FakeKubeApiServer;
let kube: KubeClient;

beforeAll(async () => {
  fake = await startFakeKubeApiServer({ bookmarkIntervalMs: 50 });
  kube = new KubeClient(await kubeAccessFrom(loadKubeConfig({ kubeconfigPath: fake.kubeconfigPath })));
}, 60_000);
afterAll(() => fake.close());

const template = (name: string) => ({
  metadata: { name },
  spec: { podTemplate: { spec: { containers: [{ name: "harness", image: "x:1" }] } } },
});

/** Collects watch events until `until` says stop (or the time runs out). */
async function collect(gen: AsyncGenerator<WatchEvent>, until: (seen: WatchEvent[]) => boolean, ms = 3000) {
  const seen: WatchEvent[] = [];
  const deadline = Date.now() + ms;
  for await (const ev of gen) {
    seen.push(ev);
    if (until(seen) || Date.now() > deadline) break;
  }
  return seen;
}

describe("KubeClient against the fake API server (TLS with CA and client certificate)", () => {
  test("kubeconfig credentials: CA and client certificate reach Bun's fetch; CRUD round-trips", async () => {
    const created = await kube.create<KubeObject>(SANDBOX_TEMPLATE, "default", template("t-crud"));
    expect(created.metadata.uid).toBeString();
    expect((await kube.get(SANDBOX_TEMPLATE, "default", "t-crud")).spec.podTemplate.spec.containers[0].image).toBe("x:1");
    const patched = await kube.mergePatch<KubeObject>(SANDBOX_TEMPLATE, "default", "t-crud", { metadata: { labels: { a: "b" } } });
    expect(patched.metadata.labels).toEqual({ a: "b" });
    expect((await kube.list(SANDBOX_TEMPLATE, "default", { labelSelector: "a=b" })).items.map((i) => i.metadata.name)).toEqual(["t-crud"]);
    expect((await kube.list(SANDBOX_TEMPLATE, "default", { labelSelector: "a=c" })).items).toEqual([]);
    expect(await kube.delete(SANDBOX_TEMPLATE, "default", "t-crud")).toBe(true);
    expect(await kube.delete(SANDBOX_TEMPLATE, "default", "t-crud")).toBe(false);
    expect(await kube.find(SANDBOX_TEMPLATE, "default", "t-crud")).toBeNull();
  });

  test("404 and 409 surface as KubeApiError with the Status reason", async () => {
    const nf = await kube.get(SANDBOX_TEMPLATE, "default", "missing").catch((e) => e);
    expect(nf).toBeInstanceOf(KubeApiError);
    expect([nf.status, nf.reason]).toEqual([404, "NotFound"]);
    await kube.create(SANDBOX_TEMPLATE, "default", template("t-dup"));
    const dup = await kube.create(SANDBOX_TEMPLATE, "default", template("t-dup")).catch((e) => e);
    expect([dup.status, dup.reason, dup.conflict]).toEqual([409, "AlreadyExists", true]);
    const cur = await kube.get(SANDBOX_TEMPLATE, "default", "t-dup");
    await kube.mergePatch(SANDBOX_TEMPLATE, "default", "t-dup", { metadata: { labels: { v: "2" } } });
    // A PUT carrying the old resourceVersion loses the optimistic-concurrency race.
    const stale: any = await kube
      .request("PUT", `/apis/extensions.agents.x-k8s.io/v1beta1/namespaces/default/sandboxtemplates/t-dup`, { body: cur })
      .catch((e: KubeApiError) => e);
    expect([stale.status, stale.reason]).toEqual([409, "Conflict"]);
  });

  test("the server rejects clients without a certificate from the cluster CA", async () => {
    const url = `${fake.url}/api/v1/namespaces/default/pods`;
    const noCert = await fetch(url, { tls: { ca: fake.tls.ca } } as RequestInit).catch((e) => e);
    expect(noCert).toBeInstanceOf(Error);
    const stranger = await fetch(url, {
      tls: { ca: fake.tls.ca, cert: fake.tls.strangerCert, key: fake.tls.strangerKey },
    } as RequestInit).catch((e) => e);
    expect(stranger).toBeInstanceOf(Error);
    const untrusted = await fetch(url, { tls: { cert: fake.tls.clientCert, key: fake.tls.clientKey } } as RequestInit).catch((e) => e);
    expect(untrusted).toBeInstanceOf(Error);
  });

  test("watch: initial list, live events, bookmarks advance the resourceVersion", async () => {
    await kube.create(POD, "default", { metadata: { name: "w-1", labels: { app: "w" } }, spec: {} });
    const ac = new AbortController();
    const bookmarks: string[] = [];
    const seen: WatchEvent[] = [];
    const consuming = (async () => {
      for await (const ev of kube.watch(POD, "default", {
        labelSelector: "app=w",
        signal: ac.signal,
        onBookmark: (rv) => bookmarks.push(rv),
      }))
        seen.push(ev);
    })();
    await Bun.sleep(50);
    await kube.create(POD, "default", { metadata: { name: "w-2", labels: { app: "w" } }, spec: {} });
    await kube.create(POD, "default", { metadata: { name: "other", labels: { app: "x" } }, spec: {} });
    await kube.delete(POD, "default", "w-2", { gracePeriodSeconds: 0 });
    const deadline = Date.now() + 5000;
    const deletedRv = () => Number((seen.find((e) => e.type === "DELETED") as any)?.object.metadata.resourceVersion ?? Infinity);
    // A bookmark after the last event carries a resourceVersion at least as new as it.
    while (!bookmarks.some((b) => Number(b) >= deletedRv()) && Date.now() < deadline) await Bun.sleep(10);
    ac.abort();
    await consuming;
    expect(seen[0]).toMatchObject({ type: "RELISTED" });
    expect((seen[0] as any).items.map((i: KubeObject) => i.metadata.name)).toEqual(["w-1"]);
    expect(seen.slice(1).map((e) => `${e.type} ${(e as any).object.metadata.name}`)).toEqual(["ADDED w-2", "DELETED w-2"]);
    expect(bookmarks.some((b) => Number(b) >= deletedRv())).toBe(true);
  });

  test("watch: 410 Gone after compaction relists and carries on from the new resourceVersion", async () => {
    const ac = new AbortController();
    const gen = kube.watch(POD, "default", { labelSelector: "app=g", signal: ac.signal });
    setTimeout(async () => {
      await kube.create(POD, "default", { metadata: { name: "g-1", labels: { app: "g" } }, spec: {} });
      await Bun.sleep(50);
      fake.compact();
      await kube.create(POD, "default", { metadata: { name: "g-2", labels: { app: "g" } }, spec: {} });
      await Bun.sleep(300);
      await kube.create(POD, "default", { metadata: { name: "g-3", labels: { app: "g" } }, spec: {} });
    }, 50);
    const seen = await collect(gen, (s) => s.some((e) => e.type === "ADDED" && e.object.metadata.name === "g-3"), 5000);
    ac.abort();
    const relists = seen.filter((e) => e.type === "RELISTED") as Array<{ type: "RELISTED"; items: KubeObject[] }>;
    expect(relists.length).toBe(2);
    // The relist after 410 holds what happened while the watch was gone.
    expect(relists[1]!.items.map((i) => i.metadata.name).sort()).toContain("g-2");
    expect(fake.requests.some((r) => r.includes("watch=1") && r.includes("resourceVersion="))).toBe(true);
  });
});

describe("watch reconnects", () => {
  test("a watch the server ends (timeoutSeconds) resumes from the last resourceVersion without a relist", async () => {
    const ac = new AbortController();
    const gen = kube.watch(POD, "default", { labelSelector: "app=r", signal: ac.signal, timeoutSeconds: 1 });
    setTimeout(() => kube.create(POD, "default", { metadata: { name: "r-late", labels: { app: "r" } }, spec: {} }), 1300);
    const seen = await collect(gen, (s) => s.some((e) => e.type === "ADDED"), 4000);
    ac.abort();
    expect(seen.map((e) => e.type)).toEqual(["RELISTED", "ADDED"]);
    const watchCalls = fake.requests.filter((r) => r.includes("labelSelector=app%3Dr") && r.includes("watch=1"));
    expect(watchCalls.length).toBeGreaterThanOrEqual(2);
  });
});

describe("in-cluster service account", () => {
  test("token and CA come from the pod's service account files; a wrong token gets 401", async () => {
    const { mkdirSync, writeFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const sa = await startFakeKubeApiServer({ bearerToken: "sa-token-123" });
    const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
    try {
      const root = join(sa.tls.dir, "pod");
      const dir = join(root, "var/run/secrets/kubernetes.io/serviceaccount");
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "ca.crt"), sa.tls.ca);
      writeFileSync(join(dir, "token"), "sa-token-123");
      writeFileSync(join(dir, "namespace"), "lap-sandboxes");
      process.env.KUBERNETES_SERVICE_HOST = "127.0.0.1";
      process.env.KUBERNETES_SERVICE_PORT = new URL(sa.url).port;
      const access = await kubeAccessFrom(loadKubeConfig({ inClusterRoot: root }));
      expect(access.server).toBe(sa.url);
      expect(await access.headers()).toEqual({ Authorization: "Bearer sa-token-123" });
      const inCluster = new KubeClient(access);
      expect((await inCluster.list(POD, "default")).items).toEqual([]);
      writeFileSync(join(dir, "token"), "wrong");
      const wrong = new KubeClient(await kubeAccessFrom(loadKubeConfig({ inClusterRoot: root })));
      expect(await wrong.list(POD, "default").catch((e) => [e.status, e.reason])).toEqual([401, "Unauthorized"]);
    } finally {
      process.env.KUBERNETES_SERVICE_HOST = saved.host;
      process.env.KUBERNETES_SERVICE_PORT = saved.port;
      if (saved.host === undefined) delete process.env.KUBERNETES_SERVICE_HOST;
      if (saved.port === undefined) delete process.env.KUBERNETES_SERVICE_PORT;
      await sa.close();
    }
  });
});
