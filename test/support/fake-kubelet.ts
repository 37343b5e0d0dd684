/**
 * Stands for the kubelet and the sandbox container on the fake cluster (fake-kube-apiserver.ts): for
 * every pod the fake agent-sandbox controller creates, after `startMs` (image pull and container start)
 * it starts the REAL harness supervisor (harness/supervisor/main.ts, built-in harness) as that pod's
 * process, listening on the pod's own address and the supervisor port the way a container listens on
 * its pod IP. Each pod gets its own loopback address (127.77.x.y), so LAP reaches it with
 * K8S_SUPERVISOR_ACCESS=pod-ip exactly as in a cluster. The pod is then reported Running and Ready with
 * that IP. A pod that is deleted or starts terminating has its process stopped, as the kubelet does.
 * `holdWarmPool` keeps pods of warm-pool Sandboxes Pending until `release()` (a pool still filling).
 */
import type { FakeKubeApiServer } from "./fake-kube-apiserver";
import type { StoreEvent } from "./fake-kube-store";
import { startRealSupervisor, type RealSupervisor } from "./real-supervisor";

const WARM_LABEL = "agents.x-k8s.io/warm-pool-sandbox";

export interface StartedPod {
  name: string;
  uid: string;
  ip: string;
  /** A member of a warm pool when it started (its Sandbox not yet claimed). */
  warmPoolMember: boolean;
  /** From the pod being created to the supervisor answering. */
  startedInMs: number;
  /** The pod's workspace (a host directory here). */
  workspace: string;
}

export class FakeKubelet {
  readonly started: StartedPod[] = [];
  holdWarmPool = false;
  private held: StoreEvent[] = [];
  private procs = new Map<string, Promise<RealSupervisor | null>>();
  private ips = 0;
  private off: () => void;

  constructor(
    private readonly fake: FakeKubeApiServer,
    private readonly opts: { port: number; startMs: number; env?: Record<string, string> },
  ) {
    this.off = fake.store.onEvent((ev) => {
      if (ev.plural !== "pods") return;
      const uid = ev.object.metadata.uid as string;
      if (ev.type === "ADDED" && !ev.object.metadata.deletionTimestamp) {
        const sandbox = fake.store.get("sandboxes", ev.object.metadata.namespace, ev.object.metadata.name);
        if (this.holdWarmPool && sandbox?.metadata.labels?.[WARM_LABEL]) this.held.push(ev);
        else this.schedule(ev);
      } else if (ev.type === "DELETED" || ev.object.metadata.deletionTimestamp) void this.kill(uid);
    });
  }

  /** Starts the warm-pool pods held so far and stops holding. */
  release() {
    this.holdWarmPool = false;
    for (const ev of this.held.splice(0)) this.schedule(ev);
  }

  private schedule(ev: StoreEvent) {
    const { name, namespace, uid } = ev.object.metadata as { name: string; namespace: string; uid: string };
    const createdAt = Date.now();
    const n = ++this.ips;
    const ip = `127.77.${Math.floor(n / 250)}.${(n % 250) + 1}`;
    const wasWarm = Boolean(this.fake.store.get("sandboxes", namespace, name)?.metadata.labels?.[WARM_LABEL]);
    const proc = (async () => {
      await Bun.sleep(this.opts.startMs);
      const pod = this.fake.store.get("pods", namespace, name);
      if (!pod || pod.metadata.uid !== uid || pod.metadata.deletionTimestamp) return null;
      // The container's env as the pod spec sets it, as a kubelet would; the supervisor's address and
      // workspace are this stand-in's own (the pod's loopback IP, a host directory).
      const specEnv = (
        (pod.spec as { containers?: Array<{ env?: Array<{ name: string; value?: string }> }> } | undefined)?.containers?.[0]?.env ?? []
      ).filter(
        (e): e is { name: string; value: string } =>
          typeof e.value === "string" && !["LAP_SUPERVISOR_HOST", "LAP_SUPERVISOR_PORT", "LAP_WORKSPACE"].includes(e.name),
      );
      const sup = await startRealSupervisor({
        ...Object.fromEntries(specEnv.map((e) => [e.name, e.value])),
        LAP_SUPERVISOR_HOST: ip,
        LAP_SUPERVISOR_PORT: String(this.opts.port),
        ...this.opts.env,
      });
      const still = this.fake.store.get("pods", namespace, name);
      if (!still || still.metadata.uid !== uid || still.metadata.deletionTimestamp) {
        await sup.stop();
        return null;
      }
      this.fake.controller.drive(namespace, name, "ready", ip);
      this.started.push({ name, uid, ip, warmPoolMember: wasWarm, startedInMs: Date.now() - createdAt, workspace: sup.workspace });
      return sup;
    })();
    this.procs.set(uid, proc);
  }

  private async kill(uid: string) {
    const p = this.procs.get(uid);
    if (!p) return;
    this.procs.delete(uid);
    await (await p.catch(() => null))?.stop();
  }

  /** The pod's process dies and keeps dying on restart: the kubelet reports CrashLoopBackOff. */
  async crash(podName: string, ns = "default") {
    const pod = this.fake.store.get("pods", ns, podName);
    if (!pod) throw new Error(`no pod ${podName}`);
    await this.kill(pod.metadata.uid);
    this.fake.controller.drive(ns, podName, "crash_loop");
  }

  /** Pods with a running supervisor right now. */
  running() {
    return this.procs.size;
  }

  async close() {
    this.off();
    await Promise.all([...this.procs.keys()].map((uid) => this.kill(uid)));
  }
}
