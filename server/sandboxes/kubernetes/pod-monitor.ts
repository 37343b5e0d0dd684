import type { Logger } from "../../lib/logger";
import type { SandboxHandle } from "../provider";
import type { KubeClient } from "./client";
import { diagnosePod, podServing } from "./diagnose";
import { LAP, POD, type KubeObject } from "./resources";

/**
 * One watch over every LAP sandbox pod in the namespace. When a pod that was serving is deleted, starts
 * terminating, fails or crash-loops, the sandbox is reported lost (once per pod) so recovery can act:
 * wait for the replacement pod (waitReady skips the lost pod), bind again, restore the workspace and
 * emit `session.recovered`. When the pod went because its claim is gone or going (the sandbox ended,
 * through this replica or another), `onEnded` is told instead: what this replica held for it can go.
 */
export interface SandboxLost {
  id: string;
  pod: string;
  reason: string;
  handle: SandboxHandle;
}

export class PodMonitor {
  private serving = new Map<string, { id: string; name: string }>();
  private ac: AbortController | null = null;
  private done: Promise<void> | null = null;

  constructor(
    private readonly deps: {
      kube: KubeClient;
      namespace: string;
      instance: string;
      lostPods: Map<string, Set<string>>;
      get(id: string): Promise<SandboxHandle | null>;
      onLost(event: SandboxLost): void;
      onEnded?(id: string): void;
      logger?: Logger;
    },
  ) {}

  start() {
    if (this.ac) return;
    this.ac = new AbortController();
    const gen = this.deps.kube.watch(POD, this.deps.namespace, {
      labelSelector: `${LAP.managed}=true,${LAP.instance}=${this.deps.instance}`,
      signal: this.ac.signal,
    });
    this.done = (async () => {
      try {
        for await (const ev of gen) {
          if (ev.type === "RELISTED") {
            const present = new Set(ev.items.map((p) => p.metadata.uid!));
            for (const [uid, s] of this.serving) if (!present.has(uid)) this.lost(uid, s.id, s.name, "pod deleted", true);
            for (const p of ev.items) this.observe(p, false);
          } else this.observe(ev.object, ev.type === "DELETED");
        }
      } catch (err) {
        this.deps.logger?.error({ err: (err as Error).message }, "kubernetes pod monitor stopped");
      }
    })();
  }

  private observe(pod: KubeObject, deleted: boolean) {
    const uid = pod.metadata.uid!;
    const id = pod.metadata.labels?.[LAP.sandboxId];
    if (!id) return;
    if (!this.serving.has(uid)) {
      if (!deleted && podServing(pod)) this.serving.set(uid, { id, name: pod.metadata.name });
      return;
    }
    const problem = diagnosePod(pod);
    const reason = deleted ? "pod deleted" : pod.metadata.deletionTimestamp ? "pod terminating" : problem?.fatal ? problem.message : null;
    if (reason) this.lost(uid, id, pod.metadata.name, reason, deleted || Boolean(pod.metadata.deletionTimestamp));
  }

  /** `gone`: the pod is deleted or terminating, so waitReady must wait for its replacement (a crash-looping pod may still recover). */
  private lost(uid: string, id: string, pod: string, reason: string, gone: boolean) {
    this.serving.delete(uid);
    if (gone) {
      let set = this.deps.lostPods.get(id);
      if (!set) this.deps.lostPods.set(id, (set = new Set()));
      set.add(uid);
    }
    void this.deps.get(id).then(
      (handle) => {
        // A pod that goes because LAP stopped or destroyed its sandbox is not a loss.
        if (!handle || handle.state === "terminating") return this.deps.onEnded?.(id);
        if (handle.state === "stopped") return;
        this.deps.logger?.warn({ sandbox: id, pod, reason }, "kubernetes sandbox pod lost");
        this.deps.onLost({ id, pod, reason, handle });
      },
      (err) =>
        this.deps.logger?.error({ sandbox: id, err: (err as Error).message }, "kubernetes pod monitor could not read a lost sandbox"),
    );
  }

  async stop() {
    this.ac?.abort();
    await this.done;
    this.ac = null;
  }
}
