/**
 * Wires the egress proxy into a provider: each host sandbox gets its own proxy server (Kubernetes
 * pods share one, see ../kubernetes/pod-egress.ts), reading the
 * policy registered under its `egress_policy` label (else its spec's allow-list and no secrets), and
 * every request goes to a sink (the database store in LAP, see records.ts; in memory in tests) and
 * to the log, without values.
 */
import type { Logger } from "../../lib/logger";
import type { DestinationGuard } from "../../net/destinations";
import type { EgressServerFactory } from "../host/host-provider";
import type { EgressCa } from "./ca";
import type { PullRequestSeen } from "./github";
import { MitmServers } from "./mitm";
import { EgressPolicies } from "./policy";
import { type EgressProxyOptions, type EgressRecord, createEgressProxy } from "./proxy";

/** Where the proxy puts each record; must not block (the proxy path waits on nothing). */
export interface EgressSink {
  push(r: EgressRecord): void;
  /** A pull request a sandbox created (./github.ts); the session shows its link. */
  pullRequest?(sandboxId: string, pr: PullRequestSeen): void;
}

/** A bounded in-memory sink. */
export class EgressLog implements EgressSink {
  private records: EgressRecord[] = [];
  constructor(private max = 1000) {}
  push(r: EgressRecord) {
    this.records.push(r);
    if (this.records.length > this.max) this.records.splice(0, this.records.length - this.max);
  }
  list(sandboxId?: string) {
    return sandboxId ? this.records.filter((r) => r.sandboxId === sandboxId) : [...this.records];
  }
}

/**
 * How the proxy reaches out: the destination check every connection passes (LAP_ALLOW_PRIVATE_HOSTS
 * in LAP; tests that use loopback fakes allow loopback explicitly), and optionally LAP's CA to
 * terminate TLS toward hosts vault secrets are bound to.
 */
export interface EgressNetwork {
  destinations: DestinationGuard;
  ca?: EgressCa;
  upstreamTls?: { ca?: string | string[] };
}

/**
 * One sandbox's side of an egress proxy: its policy (registered under `policyId`, else its plain
 * allow-list and no secrets), its own TLS termination, and records to the sink and the log.
 * `close` drops the policy and the TLS servers when the sandbox goes.
 */
export function sandboxEgress(
  sandbox: { id: string; policyId?: string; allowHosts: string[] },
  policies: EgressPolicies,
  log: EgressSink,
  logger: Logger,
  network: EgressNetwork,
): { options: EgressProxyOptions; close(): void } {
  const { id, policyId, allowHosts } = sandbox;
  if (policyId) policies.attach(policyId);
  const tls = network.ca ? { ca: network.ca, upstreamTls: network.upstreamTls } : undefined;
  const mitm = tls ? new MitmServers(tls.ca) : undefined;
  return {
    options: {
      sandboxId: id,
      destinations: network.destinations,
      mitm,
      upstreamTls: tls?.upstreamTls,
      policy: () => (policyId ? policies.get(policyId) : { allowHosts, stubs: [] }),
      pullRequest: log.pullRequest
        ? (pr) => {
            logger.info({ sandbox_id: id, host: pr.host, pull_request: pr.url }, "sandbox opened a pull request");
            log.pullRequest!(id, pr);
          }
        : undefined,
      record: (r) => {
        log.push(r);
        if (r.refused.length)
          logger.warn(
            { sandbox_id: id, host: r.host, secrets: r.refused },
            "sandbox sent vault stubs to a host they are not bound to; not swapped",
          );
        else logger.info({ sandbox_id: id, host: r.host, outcome: r.outcome, swapped: r.swapped }, "sandbox egress");
      },
    },
    close() {
      void mitm?.close();
      if (policyId) policies.delete(policyId);
    },
  };
}

export function egressFactory(policies: EgressPolicies, log: EgressSink, logger: Logger, network: EgressNetwork): EgressServerFactory {
  return ({ id, spec }) => {
    const egress = sandboxEgress(
      { id, policyId: spec.labels?.egress_policy, allowHosts: spec.egressAllowHosts ?? [] },
      policies,
      log,
      logger,
      network,
    );
    const server = createEgressProxy(egress.options);
    server.on("close", () => egress.close());
    return server;
  };
}

export { EgressPolicies };
