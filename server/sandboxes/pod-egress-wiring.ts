/**
 * Kubernetes: the one egress proxy every sandbox pod uses, and the pods' credentials served again for
 * sandboxes this process did not bind (after a restart, or bound by another replica). Built lazily by
 * SandboxService (service.ts); on other providers the proxy exists only if asked for and restores nothing.
 */
import type { Logger } from "../lib/logger";
import type { DestinationGuard } from "../net/destinations";
import type { EgressCa } from "./egress/ca";
import type { EgressPolicies } from "./egress/policy";
import type { EgressRecordStore } from "./egress/records";
import { upstreamTlsFrom } from "./host-provider-for";
import type { KubernetesSandboxes } from "./kubernetes";
import { PodEgressProxy } from "./kubernetes/pod-egress";
import { type RestoreEgressDeps, restoreOnePodEgress, restorePodEgress } from "./kubernetes/restore-egress";
import type { VaultPort } from "./ports";
import type { SandboxSettings } from "./settings";

export interface PodEgressWiringDeps {
  settings: Pick<SandboxSettings, "LAP_SANDBOX" | "EGRESS_UPSTREAM_CA_FILE" | "K8S_EGRESS_PROXY_PORT" | "HOST" | "K8S_EGRESS_PROXY_HOST">;
  logger: Logger;
  kubernetes?: KubernetesSandboxes;
  policies: EgressPolicies;
  egressRecords: EgressRecordStore;
  destinations: DestinationGuard;
  egressCa: () => EgressCa;
  vault?: VaultPort;
  /** The team of the agent a sandbox runs for (agent-spec.ts), so a pod's stubs resolve as when it started. */
  teamOfSandbox(sandboxId: string): Promise<string | null>;
}

export class PodEgressWiring {
  private podEgress: PodEgressProxy | null = null;
  private stopEndedWatch: (() => void) | null = null;

  constructor(private deps: PodEgressWiringDeps) {}

  /** LAP_SANDBOX=kubernetes with the provider handed in. */
  kubernetesOn(): boolean {
    return Boolean(this.deps.kubernetes) && this.deps.settings.LAP_SANDBOX === "kubernetes";
  }

  /** The one egress proxy every sandbox pod uses, with per-sandbox credentials. */
  proxy(): PodEgressProxy {
    const e = this.deps.settings;
    if (this.podEgress) return this.podEgress;
    this.podEgress = new PodEgressProxy({
      policies: this.deps.policies,
      sink: this.deps.egressRecords,
      logger: this.deps.logger.child({ module: "egress" }),
      ca: this.deps.egressCa(),
      upstreamTls: upstreamTlsFrom(e.EGRESS_UPSTREAM_CA_FILE),
      destinations: this.deps.destinations,
      listenPort: e.K8S_EGRESS_PROXY_PORT,
      listenHost: e.HOST,
      advertisedHost: e.K8S_EGRESS_PROXY_HOST,
      // A pod bound by another replica may send its first request here before this replica's next pass.
      ...(this.kubernetesOn() ? { lookupUnknown: (id: string) => restoreOnePodEgress(this.restoreDeps(this.deps.kubernetes!), id) } : {}),
    });
    // A sandbox ended through another replica: its credentials stop working here when its pod goes, not a pass later.
    if (this.kubernetesOn()) this.stopEndedWatch = this.deps.kubernetes!.onEnded((id) => this.podEgress?.unregister(id));
    return this.podEgress;
  }

  /** Serve the egress of pods this process did not bind; [] when the provider is not Kubernetes. */
  async restore(): Promise<string[]> {
    const k = this.deps.kubernetes;
    if (!k || !this.kubernetesOn()) return [];
    return restorePodEgress(this.restoreDeps(k));
  }

  async close() {
    this.stopEndedWatch?.();
    await this.podEgress?.close();
  }

  private restoreDeps(k: KubernetesSandboxes): RestoreEgressDeps {
    const vault = this.deps.vault;
    return {
      provider: k.provider,
      proxy: this.proxy(),
      policies: this.deps.policies,
      // A pod's stubs resolve for its agent's team, as when it started (an unknown sandbox: org-wide only).
      resolve: vault ? async (names, sandboxId) => vault.resolve(names, await this.deps.teamOfSandbox(sandboxId)) : undefined,
      logger: this.deps.logger,
    };
  }
}
