import type { KubeClient } from "./client";
import { KubeApiError } from "./client";
import { AS, LAP, SANDBOX, SANDBOX_TEMPLATE, SANDBOX_WARM_POOL, type KubeObject } from "./resources";
import { buildTemplate, imageForHarness, type HarnessImages, type TemplateSettings } from "./templates";

/**
 * LAP's warm-pool settings mapped onto agent-sandbox: one SandboxTemplate + SandboxWarmPool per harness
 * image; the controller keeps `replicas` ready pods and hands one to each claim. LAP only decides the
 * sizes (WARM_POOL_SIZE across the harnesses of recently active agents) and recycles warm pods older than
 * WARM_POOL_TTL_MINUTES. The generic warm pool must not pre-create sandboxes on this provider: it calls
 * `setTargets` instead (see `externalWarmPool` on the provider).
 */
export interface WarmTarget {
  harness: string;
  image?: string;
  size: number;
}

export interface WarmPoolStatus {
  name: string;
  image: string;
  replicas: number;
  readyReplicas: number;
  /** Container resources of the pool's pods, from the template LAP builds for its image (null: a pool of an older configuration). */
  resources: { requests: Record<string, string>; limits: Record<string, string> } | null;
  /** Unclaimed sandboxes the pool holds right now. */
  sandboxes: Array<{ name: string; ready: boolean; createdAt: string | null }>;
}

export class KubernetesWarmPools {
  private ensured = new Map<string, Promise<string>>();

  constructor(
    private readonly deps: {
      kube: KubeClient;
      namespace: string;
      images: HarnessImages;
      settings: TemplateSettings;
      /** WARM_POOL_SIZE: the most warm pods across all pools. */
      maxTotal: number;
    },
  ) {}

  imageFor(harness: string, image?: string) {
    return image ?? imageForHarness(this.deps.images, harness);
  }

  /** Template + pool for an image exist (created with `replicas` when new); answers the shared name. */
  ensure(image: string, replicas = 0): Promise<string> {
    let p = this.ensured.get(image);
    if (!p) {
      p = this.create(image, replicas);
      this.ensured.set(image, p);
      p.catch(() => this.ensured.delete(image));
    }
    return p;
  }

  private async create(image: string, replicas: number): Promise<string> {
    const { kube, namespace, settings } = this.deps;
    const built = buildTemplate(image, settings);
    // AlreadyExists is success: another LAP replica (or an earlier run) made the same spec, same name.
    await kube.create(SANDBOX_TEMPLATE, namespace, built.template).catch(ignoreExists);
    await kube.create(SANDBOX_WARM_POOL, namespace, built.pool(replicas)).catch(ignoreExists);
    return built.name;
  }

  /** Names of the pools this configuration uses (everything else LAP-labelled is stale). */
  currentNames(): Set<string> {
    const names = new Set<string>();
    const images = new Set([
      this.deps.images.default,
      ...Object.values(this.deps.images.byHarness).filter((v): v is string => Boolean(v)),
      ...this.ensured.keys(),
    ]);
    for (const image of images) names.add(buildTemplate(image, this.deps.settings).name);
    return names;
  }

  /** Sizes every pool: the sum of targets per image, capped at WARM_POOL_SIZE in total; other pools go to 0. */
  async setTargets(targets: WarmTarget[]): Promise<Record<string, number>> {
    const perImage = new Map<string, number>();
    let budget = this.deps.maxTotal;
    for (const t of targets) {
      const take = Math.max(0, Math.min(t.size, budget));
      budget -= take;
      const image = this.imageFor(t.harness, t.image);
      perImage.set(image, (perImage.get(image) ?? 0) + take);
    }
    const sizes: Record<string, number> = {};
    for (const [image, n] of perImage) sizes[await this.ensure(image, n)] = n;
    for (const pool of await this.listPools()) if (!(pool.metadata.name in sizes)) sizes[pool.metadata.name] = 0;
    for (const [name, replicas] of Object.entries(sizes)) await this.scale(name, replicas);
    return sizes;
  }

  async scale(name: string, replicas: number) {
    await this.deps.kube.mergePatch(SANDBOX_WARM_POOL, this.deps.namespace, name, { spec: { replicas } }, "scale");
  }

  listPools() {
    return this.deps.kube
      .list(SANDBOX_WARM_POOL, this.deps.namespace, { labelSelector: selector(this.deps.settings) })
      .then((l) => l.items);
  }

  async status(): Promise<WarmPoolStatus[]> {
    const [pools, sandboxes] = await Promise.all([
      this.listPools(),
      this.deps.kube.list(SANDBOX, this.deps.namespace, { labelSelector: AS.warmPoolSandbox }),
    ]);
    return pools.map((p) => ({
      name: p.metadata.name,
      image: p.metadata.annotations?.["lap.dev/image"] ?? "",
      replicas: p.spec?.replicas ?? 0,
      readyReplicas: p.status?.readyReplicas ?? 0,
      resources: this.resourcesOf(p),
      sandboxes: sandboxes.items
        .filter((s) => s.metadata.labels?.[AS.warmPoolSandbox] === p.metadata.name)
        .map((s) => ({
          name: s.metadata.name,
          // biome-ignore lint/suspicious/noExplicitAny: conditions as the API server sends them
          ready: s.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True") ?? false,
          createdAt: s.metadata.creationTimestamp ?? null,
        })),
    }));
  }

  private resourcesOf(pool: KubeObject): WarmPoolStatus["resources"] {
    const image = pool.metadata.annotations?.["lap.dev/image"];
    if (!image) return null;
    const built = buildTemplate(image, this.deps.settings);
    if (built.name !== pool.metadata.name) return null;
    const r = built.template.spec.podTemplate.spec.containers[0]?.resources;
    return r ? { requests: { ...r.requests }, limits: { ...r.limits } } : null;
  }

  /** Deletes unclaimed warm sandboxes older than the TTL; the pool controller replaces them. */
  async recycleExpired(ttlMs: number, now = Date.now()): Promise<string[]> {
    const pools = new Set((await this.listPools()).map((p) => p.metadata.name));
    const warm = await this.deps.kube.list(SANDBOX, this.deps.namespace, { labelSelector: AS.warmPoolSandbox });
    const expired = warm.items.filter(
      (s) =>
        pools.has(s.metadata.labels![AS.warmPoolSandbox]!) &&
        !s.metadata.deletionTimestamp &&
        now - Date.parse(s.metadata.creationTimestamp ?? "") > ttlMs,
    );
    for (const s of expired) await this.deps.kube.delete(SANDBOX, this.deps.namespace, s.metadata.name);
    return expired.map((s) => s.metadata.name);
  }

  /** Removes pools and templates of an older configuration once no claim uses them. */
  async removeStale(claims: KubeObject[]): Promise<string[]> {
    const current = this.currentNames();
    const inUse = new Set(claims.map((c) => c.spec?.warmPoolRef?.name));
    const removed: string[] = [];
    for (const pool of await this.listPools()) {
      const name = pool.metadata.name;
      if (current.has(name) || inUse.has(name)) continue;
      await this.deps.kube.delete(SANDBOX_WARM_POOL, this.deps.namespace, name);
      await this.deps.kube.delete(SANDBOX_TEMPLATE, this.deps.namespace, name);
      removed.push(name);
    }
    return removed;
  }
}

export const selector = (s: TemplateSettings) => `${LAP.managed}=true,${LAP.instance}=${s.baseLabels[LAP.instance]}`;

function ignoreExists(err: unknown) {
  if (err instanceof KubeApiError && err.status === 409) return;
  throw err;
}
