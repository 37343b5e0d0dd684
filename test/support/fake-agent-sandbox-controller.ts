/**
 * Stands for the kubernetes-sigs/agent-sandbox v1beta1 controller (with --extensions) and for the
 * kubelet, inside the fake API server: warm pools keep `replicas` unclaimed Sandboxes from their
 * template; a claim adopts a ready warm Sandbox (warm) or gets a new one (cold; always cold when the
 * claim has `env`); a Sandbox keeps one Pod named like itself and recreates it when it is lost; status
 * flows Pod → Sandbox (Ready, podIPs, nodeName) → SandboxClaim (Ready, status.sandbox). Pod state
 * changes (ready, crash loop, image pull error, unschedulable) are driven by the test.
 */
import type { FakeKubeStore, Obj, StoreEvent } from "./fake-kube-store";

const AS = {
  warm: "agents.x-k8s.io/warm-pool-sandbox",
  launch: "agents.x-k8s.io/launch-type",
  claimUid: "agents.x-k8s.io/claim-uid",
  sandboxName: "agents.x-k8s.io/sandbox-name",
  sandboxLabel: "agents.x-k8s.io/sandbox-name-hash",
};

export type PodDrive = "ready" | "crash_loop" | "image_pull" | "unschedulable" | "failed" | "pending";

const now = () => new Date().toISOString();
const cond = (type: string, status: "True" | "False", reason: string, message = "") => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: now(),
});
const ownerRef = (o: Obj) => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, uid: o.metadata.uid, controller: true });

export interface ControllerOptions {
  /** New pods become ready by themselves after this many ms (undefined: the test drives them). */
  autoReadyMs?: number;
  /** With autoReadyMs: pods whose image matches fail to pull instead of becoming ready. */
  unpullableImage?: RegExp;
  podIp?: string;
  nodeName?: string;
  /**
   * false: an adopted warm pod keeps only its warm-pool labels (as a controller version that does not
   * copy the claim's additionalPodMetadata onto the running pod would), so LAP's label watch never
   * sees it and readiness must read the pod by the sandbox's name. Replacement pods are labelled.
   */
  labelAdoptedPods?: boolean;
}

export class FakeAgentSandboxController {
  private queue: StoreEvent[] = [];
  private scheduled = false;
  private timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(
    private readonly store: FakeKubeStore,
    readonly opts: ControllerOptions = {},
  ) {
    store.onEvent((ev) => {
      this.queue.push(ev);
      if (!this.scheduled) {
        this.scheduled = true;
        setTimeout(() => this.drain(), 0);
      }
    });
  }

  /** While paused the controller ignores changes (a cluster without agent-sandbox installed). */
  paused = false;

  private drain() {
    this.scheduled = false;
    const batch = this.queue.splice(0);
    if (this.paused) return;
    for (const ev of batch) {
      try {
        this.handle(ev);
      } catch (err) {
        if (process.env.FAKE_KUBE_DEBUG) console.error("fake controller", err);
      }
    }
  }

  private handle(ev: StoreEvent) {
    const ns = ev.object.metadata.namespace;
    const name = ev.object.metadata.name;
    switch (ev.plural) {
      case "sandboxwarmpools":
        if (ev.type !== "DELETED") this.reconcilePool(ns, name);
        break;
      case "sandboxtemplates":
        for (const p of this.store.list("sandboxwarmpools", ns))
          if (p.spec?.sandboxTemplateRef?.name === name) this.reconcilePool(ns, p.metadata.name);
        break;
      case "sandboxclaims":
        if (ev.type !== "DELETED") this.reconcileClaim(ns, name);
        break;
      case "sandboxes":
        if (ev.type === "DELETED") {
          if (this.store.get("pods", ns, name)) this.store.delete("pods", ns, name);
          this.refreshOwners(ev.object);
        } else this.reconcileSandbox(ns, name);
        break;
      case "pods":
        this.podChanged(ev);
        break;
    }
  }

  private reconcilePool(ns: string, poolName: string) {
    const pool = this.store.get("sandboxwarmpools", ns, poolName);
    if (!pool || pool.metadata.deletionTimestamp) return;
    const template = this.store.get("sandboxtemplates", ns, pool.spec?.sandboxTemplateRef?.name);
    const members = this.store.list("sandboxes", ns).filter((s) => s.metadata.labels?.[AS.warm] === poolName);
    const want = pool.spec?.replicas ?? 1;
    if (template) {
      for (let i = members.length; i < want; i++) {
        this.store.create("sandboxes", ns, {
          apiVersion: "agents.x-k8s.io/v1beta1",
          kind: "Sandbox",
          metadata: { generateName: `${poolName}-`, labels: { [AS.warm]: poolName }, ownerReferences: [ownerRef(pool)] },
          spec: { podTemplate: template.spec.podTemplate, operatingMode: "Running" },
        });
      }
    }
    for (const extra of members.slice(want)) this.store.delete("sandboxes", ns, extra.metadata.name);
    const ready = members
      .slice(0, want)
      .filter((s) => s.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True")).length;
    const status = {
      replicas: Math.min(members.length, want),
      readyReplicas: ready,
      selector: `${AS.warm}=${poolName}`,
      observedGeneration: pool.metadata.generation,
    };
    // Only real changes: a status write is itself an event that brings the pool back here.
    if (JSON.stringify(status) !== JSON.stringify(pool.status))
      this.store.mutate("sandboxwarmpools", ns, poolName, (p) => (p.status = status), { status: true });
  }

  private reconcileClaim(ns: string, claimName: string) {
    const claim = this.store.get("sandboxclaims", ns, claimName);
    if (!claim || claim.metadata.deletionTimestamp) return;
    const bound = claim.metadata.annotations?.[AS.sandboxName];
    if (bound) return this.forwardToClaim(claim, this.store.get("sandboxes", ns, bound));
    const pool = this.store.get("sandboxwarmpools", ns, claim.spec?.warmPoolRef?.name ?? "");
    if (!pool) {
      this.setClaimStatus(claim, {
        conditions: [cond("Ready", "False", "WarmPoolNotFound", `SandboxWarmPool "${claim.spec?.warmPoolRef?.name}" not found`)],
      });
      return;
    }
    const cold = (claim.spec?.env ?? []).length > 0 || (claim.spec?.volumeClaimTemplates ?? []).length > 0;
    const candidate = cold
      ? undefined
      : this.store
          .list("sandboxes", ns)
          .find(
            (s) =>
              s.metadata.labels?.[AS.warm] === pool.metadata.name &&
              !s.metadata.deletionTimestamp &&
              s.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True"),
          );
    let sandboxName: string;
    const extraLabels = claim.spec?.additionalPodMetadata?.labels ?? {};
    if (candidate) {
      sandboxName = candidate.metadata.name;
      this.store.mutate("sandboxes", ns, sandboxName, (s) => {
        const labels = { ...s.metadata.labels, [AS.launch]: "warm" };
        delete labels[AS.warm];
        s.metadata.labels = labels;
        s.metadata.ownerReferences = [ownerRef(claim)];
        // Claim identity and additionalPodMetadata go onto the pod template too, so a replacement pod carries them.
        s.spec.podTemplate = {
          ...s.spec.podTemplate,
          metadata: {
            ...s.spec.podTemplate?.metadata,
            labels: { ...s.spec.podTemplate?.metadata?.labels, ...extraLabels, [AS.claimUid]: claim.metadata.uid },
          },
        };
      });
      if (this.opts.labelAdoptedPods !== false)
        this.store.mutate(
          "pods",
          ns,
          sandboxName,
          (p) => (p.metadata.labels = { ...p.metadata.labels, ...extraLabels, [AS.claimUid]: claim.metadata.uid }),
        );
      this.reconcilePool(ns, pool.metadata.name);
    } else {
      const template = this.store.get("sandboxtemplates", ns, pool.spec.sandboxTemplateRef.name);
      if (!template) return this.setClaimStatus(claim, { conditions: [cond("Ready", "False", "ReconcilerError", "template not found")] });
      sandboxName = claim.metadata.name;
      const podTemplate = structuredClone(template.spec.podTemplate);
      podTemplate.metadata = {
        ...podTemplate.metadata,
        labels: { ...podTemplate.metadata?.labels, ...extraLabels, [AS.claimUid]: claim.metadata.uid },
      };
      this.store.create("sandboxes", ns, {
        apiVersion: "agents.x-k8s.io/v1beta1",
        kind: "Sandbox",
        metadata: { name: sandboxName, labels: { [AS.launch]: "cold" }, ownerReferences: [ownerRef(claim)] },
        spec: { podTemplate, operatingMode: "Running", volumeClaimTemplates: template.spec.volumeClaimTemplates },
      });
    }
    this.store.mutate(
      "sandboxclaims",
      ns,
      claimName,
      (c) => (c.metadata.annotations = { ...c.metadata.annotations, [AS.sandboxName]: sandboxName }),
    );
  }

  private setClaimStatus(claim: Obj, status: any) {
    this.store.mutate("sandboxclaims", claim.metadata.namespace, claim.metadata.name, (c) => (c.status = status), { status: true });
  }

  private forwardToClaim(claim: Obj, sandbox: Obj | undefined) {
    const ready = sandbox?.status?.conditions?.find((c: any) => c.type === "Ready");
    const status = sandbox
      ? {
          sandbox: { name: sandbox.metadata.name, podIPs: sandbox.status?.podIPs ?? [] },
          conditions: [ready ?? cond("Ready", "False", "SandboxNotReady", "sandbox not ready")],
        }
      : { conditions: [cond("Ready", "False", "SandboxMissing", "sandbox is missing")] };
    if (JSON.stringify(status) !== JSON.stringify(claim.status)) this.setClaimStatus(claim, status);
  }

  private reconcileSandbox(ns: string, name: string) {
    const sb = this.store.get("sandboxes", ns, name);
    if (!sb) return;
    const pod = this.store.get("pods", ns, name);
    if (sb.spec?.operatingMode === "Suspended") {
      // Suspended: the pod goes (volumes stay); the Sandbox reports it.
      if (pod && !pod.metadata.deletionTimestamp) this.store.delete("pods", ns, name);
      const status = { ...sb.status, podIPs: [], conditions: [cond("Ready", "False", "SandboxSuspended", "Sandbox is suspended")] };
      if (sb.status?.conditions?.[0]?.reason !== "SandboxSuspended")
        this.store.mutate("sandboxes", ns, name, (s) => (s.status = status), { status: true });
      return;
    }
    if (!pod) {
      const labels = { ...sb.spec.podTemplate?.metadata?.labels, [AS.sandboxLabel]: name };
      const owner = sb.metadata.ownerReferences?.[0];
      if (owner?.kind === "SandboxClaim") labels[AS.claimUid] = owner.uid;
      this.store.create("pods", ns, {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, labels, ownerReferences: [ownerRef(sb)] },
        spec: structuredClone(sb.spec.podTemplate?.spec ?? {}),
        status: { phase: "Pending", conditions: [] },
      });
      if (this.opts.autoReadyMs !== undefined) {
        const t = setTimeout(() => {
          this.timers.delete(t);
          const p = this.store.get("pods", ns, name);
          if (p && p.status?.phase === "Pending" && !p.metadata.deletionTimestamp && !p.status.conditions?.length)
            this.drive(ns, name, this.opts.unpullableImage?.test(p.spec?.containers?.[0]?.image ?? "") ? "image_pull" : "ready");
        }, this.opts.autoReadyMs);
        this.timers.add(t);
      }
      return;
    }
    this.syncSandboxStatus(sb, pod);
  }

  private syncSandboxStatus(sb: Obj, pod: Obj | undefined) {
    const podReady =
      pod &&
      !pod.metadata.deletionTimestamp &&
      pod.status?.phase === "Running" &&
      pod.status?.podIP &&
      pod.status.conditions?.some((c: any) => c.type === "Ready" && c.status === "True");
    const status: any = {
      podIPs: pod?.status?.podIP && !pod.metadata.deletionTimestamp ? [pod.status.podIP] : [],
      nodeName: pod?.spec?.nodeName,
      selector: `${AS.sandboxLabel}=${sb.metadata.name}`,
      conditions: [
        podReady
          ? cond("Ready", "True", "DependenciesReady", "Pod is Ready")
          : pod?.status?.phase === "Failed"
            ? cond("Ready", "False", "PodFailed", "Pod failed")
            : cond(
                "Ready",
                "False",
                "DependenciesNotReady",
                pod ? `Pod is ${pod.metadata.deletionTimestamp ? "terminating" : pod.status?.phase} but not Ready` : "Pod does not exist",
              ),
      ],
    };
    const prev = { ...sb.status, conditions: sb.status?.conditions?.map((c: any) => ({ ...c, lastTransitionTime: undefined })) };
    const next = { ...status, conditions: status.conditions.map((c: any) => ({ ...c, lastTransitionTime: undefined })) };
    if (JSON.stringify(prev) !== JSON.stringify(next))
      this.store.mutate("sandboxes", sb.metadata.namespace, sb.metadata.name, (s) => (s.status = status), { status: true });
  }

  private refreshOwners(sb: Obj) {
    const owner = sb.metadata.ownerReferences?.[0];
    if (owner?.kind === "SandboxWarmPool") this.reconcilePool(sb.metadata.namespace, owner.name);
    if (owner?.kind === "SandboxClaim") {
      const claim = this.store.get("sandboxclaims", sb.metadata.namespace, owner.name);
      if (claim) this.forwardToClaim(claim, undefined);
    }
  }

  private podChanged(ev: StoreEvent) {
    const ns = ev.object.metadata.namespace;
    const sb = this.store.get("sandboxes", ns, ev.object.metadata.name);
    if (!sb) return;
    if (sb.spec?.operatingMode === "Suspended") return this.reconcileSandbox(ns, sb.metadata.name);
    if (ev.type === "DELETED") {
      // The Sandbox keeps one pod: a lost pod is replaced (same name, fresh pod, empty unless a volume backs it).
      this.reconcileSandbox(ns, sb.metadata.name);
      this.syncSandboxStatus(sb, undefined);
    } else this.syncSandboxStatus(sb, ev.object);
    const fresh = this.store.get("sandboxes", ns, sb.metadata.name)!;
    const owner = fresh.metadata.ownerReferences?.[0];
    if (owner?.kind === "SandboxWarmPool") this.reconcilePool(ns, owner.name);
    if (owner?.kind === "SandboxClaim") {
      const claim = this.store.get("sandboxclaims", ns, owner.name);
      if (claim) this.forwardToClaim(claim, fresh);
    }
  }

  /** Test driver: move a pod into a state the kubelet would report (`ip`: this pod's own address). */
  drive(ns: string, podName: string, to: PodDrive, ip = this.opts.podIp ?? "127.0.0.1") {
    const node = this.opts.nodeName ?? "kind-worker";
    this.store.mutate(
      "pods",
      ns,
      podName,
      (p) => {
        const container = p.spec?.containers?.[0]?.name ?? "harness";
        const image = p.spec?.containers?.[0]?.image ?? "unknown";
        const waiting = (reason: string, message: string) => [
          {
            name: container,
            image,
            ready: false,
            restartCount: reason === "CrashLoopBackOff" ? 4 : 0,
            state: { waiting: { reason, message } },
          },
        ];
        switch (to) {
          case "ready":
            p.status = {
              phase: "Running",
              podIP: ip,
              podIPs: [{ ip }],
              hostIP: "172.18.0.2",
              conditions: [cond("PodScheduled", "True", ""), cond("Ready", "True", "")],
              containerStatuses: [{ name: container, image, ready: true, restartCount: 0, state: { running: { startedAt: now() } } }],
            };
            break;
          case "crash_loop":
            p.status = {
              phase: "Running",
              podIP: ip,
              podIPs: [{ ip }],
              conditions: [
                cond("PodScheduled", "True", ""),
                cond("Ready", "False", "ContainersNotReady", "containers with unready status: [harness]"),
              ],
              containerStatuses: waiting("CrashLoopBackOff", `back-off 40s restarting failed container=${container}`),
            };
            break;
          case "image_pull":
            p.status = {
              phase: "Pending",
              conditions: [cond("PodScheduled", "True", "")],
              containerStatuses: waiting("ImagePullBackOff", `Back-off pulling image "${image}"`),
            };
            break;
          case "unschedulable":
            p.status = {
              phase: "Pending",
              conditions: [
                cond(
                  "PodScheduled",
                  "False",
                  "Unschedulable",
                  "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.",
                ),
              ],
            };
            break;
          case "failed":
            p.status = {
              phase: "Failed",
              conditions: [cond("Ready", "False", "PodFailed", "")],
              containerStatuses: [
                { name: container, image, ready: false, restartCount: 0, state: { terminated: { exitCode: 137, reason: "OOMKilled" } } },
              ],
            };
            break;
          case "pending":
            p.status = { phase: "Pending", conditions: [] };
        }
      },
      { status: true },
    );
    if (to === "ready" || to === "crash_loop") this.store.mutate("pods", ns, podName, (p) => (p.spec = { ...p.spec, nodeName: node }));
  }

  close() {
    for (const t of this.timers) clearTimeout(t);
  }
}
