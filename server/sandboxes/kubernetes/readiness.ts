import { SandboxError } from "../provider";
import type { KubeClient, WatchEvent } from "./client";
import { diagnosePod, podServing, type PodProblem } from "./diagnose";
import { AS, conditionOf, LAP, POD, SANDBOX_CLAIM, type KubeObject } from "./resources";

/**
 * Waits for a claim to be served, by watch (claim by name, its pods by LAP's label), never by polling.
 * Resolves with the claim and the serving pod; rejects with a SandboxError naming the cause: a fatal pod
 * problem at once, else at the deadline the last problem seen (image pull, unschedulable) or "timeout".
 * A pod that is terminating never counts as ready, even if a stale Ready condition says so.
 */
export interface ReadyResult {
  claim: KubeObject;
  pod: KubeObject;
}

export async function waitForClaim(opts: {
  kube: KubeClient;
  namespace: string;
  id: string;
  timeoutMs: number;
  signal?: AbortSignal;
  pullPolicy?: string;
  /** Pods already known dead (uids): their replacement is what we wait for. */
  ignorePodUids?: Set<string>;
}): Promise<ReadyResult> {
  const { kube, namespace, id } = opts;
  const ac = new AbortController();
  const abortOuter = () => ac.abort();
  opts.signal?.addEventListener("abort", abortOuter);
  let claim: KubeObject | null = null;
  const pods = new Map<string, KubeObject>();
  let lastProblem: PodProblem | null = null;
  let fallbackBusy = false;

  return new Promise<ReadyResult>((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | null, value?: ReadyResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", abortOuter);
      ac.abort();
      if (err) reject(err);
      else resolve(value!);
    };
    const timer = setTimeout(() => {
      const secs = Number((opts.timeoutMs / 1000).toFixed(1));
      if (lastProblem) finish(new SandboxError(lastProblem.reason, `sandbox ${id} not ready after ${secs}s: ${lastProblem.message}`));
      else finish(new SandboxError("timeout", `sandbox ${id} not ready after ${secs}s (${claimSummary(claim)})`));
    }, opts.timeoutMs);
    if (opts.signal?.aborted) return finish(new SandboxError("failed", `waiting for sandbox ${id} was cancelled`));
    opts.signal?.addEventListener("abort", () => finish(new SandboxError("failed", `waiting for sandbox ${id} was cancelled`)));

    const evaluate = () => {
      if (!claim) return;
      if (claim.metadata.deletionTimestamp) return finish(new SandboxError("not_found", `sandbox ${id} is being deleted`));
      const ready = conditionOf(claim, "Ready");
      if (ready?.status === "False" && ready.reason === "WarmPoolNotFound")
        return finish(new SandboxError("unavailable", `sandbox ${id}: ${ready.message ?? "warm pool not found"}`));
      const sandboxName = claim.status?.sandbox?.name ?? claim.metadata.annotations?.[AS.sandboxName];
      const live = [...pods.values()].filter((p) => !p.metadata.deletionTimestamp && !opts.ignorePodUids?.has(p.metadata.uid!));
      for (const p of live) {
        const problem = diagnosePod(p, opts.pullPolicy);
        if (problem?.fatal) return finish(new SandboxError(problem.reason, `sandbox ${id}: ${problem.message}`));
        if (problem) lastProblem = problem;
      }
      const serving = live.find(podServing);
      if (ready?.status === "True" && sandboxName && serving) return finish(null, { claim, pod: serving });
      if (ready?.status === "True" && sandboxName && !serving && !fallbackBusy) {
        // Pod labels come from additionalPodMetadata; if a controller version does not stamp them on an
        // adopted warm pod, read the pod by the sandbox's name (agent-sandbox names the pod after it),
        // again every 500 ms while the claim says Ready and no labelled pod serves.
        fallbackBusy = true;
        void kube
          .find(POD, namespace, sandboxName)
          .then(
            (p) => {
              if (p) pods.set(p.metadata.uid!, p);
              return podServing(p);
            },
            () => false,
          )
          .then((found) => Bun.sleep(found ? 0 : 500))
          .then(() => {
            fallbackBusy = false;
            if (!settled) evaluate();
          });
      }
    };

    const run = async <T extends KubeObject>(gen: AsyncGenerator<WatchEvent<T>>, onEvent: (ev: WatchEvent<T>) => void) => {
      try {
        for await (const ev of gen) {
          onEvent(ev);
          evaluate();
          if (settled) break;
        }
      } catch (err) {
        finish(
          err instanceof SandboxError ? err : new SandboxError("unavailable", `watching sandbox ${id} failed: ${(err as Error).message}`),
        );
      }
    };

    void run(kube.watch(SANDBOX_CLAIM, namespace, { fieldSelector: `metadata.name=${id}`, signal: ac.signal }), (ev) => {
      if (ev.type === "RELISTED") {
        claim = ev.items[0] ?? null;
        if (!claim) finish(new SandboxError("not_found", `sandbox ${id} does not exist`));
      } else if (ev.type === "DELETED") finish(new SandboxError("not_found", `sandbox ${id} was deleted`));
      else claim = ev.object;
    });
    void run(kube.watch(POD, namespace, { labelSelector: `${LAP.sandboxId}=${id}`, signal: ac.signal }), (ev) => {
      if (ev.type === "RELISTED") {
        pods.clear();
        for (const p of ev.items) pods.set(p.metadata.uid!, p);
      } else if (ev.type === "DELETED") pods.delete(ev.object.metadata.uid!);
      else pods.set(ev.object.metadata.uid!, ev.object);
    });
  });
}

function claimSummary(claim: KubeObject | null): string {
  const ready = conditionOf(claim, "Ready");
  if (!ready) return "claim has no status yet: is the agent-sandbox controller running with --extensions?";
  return `Ready=${ready.status} ${ready.reason ?? ""}${ready.message ? `: ${ready.message}` : ""}`.trim();
}
