/**
 * A session gets a running sandbox: a warm-pool claim, else one it already had (adopted after a LAP
 * restart or from another replica), else a cold create on its workspace; then the workspace prepared,
 * the harness bound and, on a recovery, the history replayed. The sandbox runtime (./sandbox-runtime.ts)
 * keeps the result and records its start.
 */
import { trace } from "@opentelemetry/api";
import { type AgentDefinition, RuntimeError } from "../../runtimes/adapter";
import { SupervisorClient } from "../supervisor-client";
import { newWorkspaceId } from "../warm-pool";
import { harnessSetup, slotHash } from "./harness-setup";
import type { Live, SandboxRuntimeDeps } from "./runtime-deps";
import { reserveOrAdopt, sandboxNameFor } from "./session-claim";
import { bindHarness, placeFilesInSandbox, prepareWorkspace } from "./session-setup";
import { sandboxSpecFor } from "./spec";

export type StartKind = "warm" | "cold" | "adopted";

function specFor(deps: SandboxRuntimeDeps, agent: AgentDefinition) {
  if (deps.specFor) return deps.specFor(agent);
  return sandboxSpecFor({ id: agent.id, harness: "builtin", environment: agent.environment }, deps.containerEnv);
}

/** A running sandbox for the session: a warm claim, or cold on `workspaceId` (new, or the session's own). */
export async function acquireSandbox(
  deps: SandboxRuntimeDeps,
  sessionId: string,
  agent: AgentDefinition,
  workspaceId: string | null,
  recovered?: string,
): Promise<{ live: Live; kind: StartKind }> {
  const { provider, database, metrics } = deps;
  const startedAt = performance.now();
  const { spec, hash: specHash } = await specFor(deps, agent);
  // A warm slot was prepared for the agent's harness setup too (./harness-setup.ts): both must match.
  const setup = await harnessSetup(deps, agent, sessionId);
  const hash = slotHash(specHash, setup.hash);
  let claimed = workspaceId ? null : await deps.pool?.claim(agent.id, hash, sessionId);
  if (claimed && (await provider.get(claimed.sandboxId))?.state !== "ready") {
    await database.query(`update sandboxes set status = 'dead', reason = 'gone before claim' where id = $1`, [claimed.rowId]);
    claimed = null;
  }
  // Hits and misses only where LAP keeps slots (Kubernetes keeps its own pool unless K8S_WARM_PREPARE: WarmPool.keepsSlots).
  const slots = !provider.externalWarmPool || !!provider.prepare;
  if (!workspaceId && deps.pool && slots) metrics?.pool(claimed !== null);
  let rowId: string;
  let sandboxId: string;
  let ws: string;
  /** The supervisor may already hold this session's conversation (a sandbox another replica, or LAP before a restart, bound). */
  let adopted = false;
  let kind: StartKind = "warm";
  if (claimed) {
    ({ rowId, sandboxId, workspaceId: ws } = claimed);
  } else {
    const other = await reserveOrAdopt(
      { database, provider, logger: deps.logger },
      {
        sessionId,
        agentId: agent.id,
        workspaceId: workspaceId ?? newWorkspaceId(),
        specHash: hash,
        startKind: workspaceId ? "recovered" : slots ? "cold" : "external",
      },
    );
    if ("adopted" in other) {
      ({ rowId, sandboxId, workspaceId: ws } = other.adopted);
      adopted = true;
      kind = "adopted";
    } else {
      ({ rowId, workspaceId: ws } = other);
      kind = "cold";
      try {
        const h = await provider.create({
          ...spec,
          name: sandboxNameFor(rowId),
          workspaceId: ws,
          labels: { ...spec.labels, session_id: sessionId, sandbox_row: rowId },
        });
        sandboxId = h.id;
        await database.query(`update sandboxes set sandbox_id = $2 where id = $1`, [rowId, sandboxId]);
        await ready(deps, rowId, sandboxId);
      } catch (err) {
        metrics?.failed();
        throw err;
      }
      await database.query(`update sandboxes set status = 'claimed', ready_at = now(), updated_at = now() where id = $1`, [rowId]);
    }
  }
  metrics?.started(kind, (performance.now() - startedAt) / 1000);
  trace.getActiveSpan()?.setAttribute("lap.sandbox.kind", kind);
  await prepareWorkspace(deps, agent, ws, !workspaceId);
  const alreadyBound =
    adopted &&
    (await provider
      .connect(sandboxId)
      .then((conn) => new SupervisorClient(conn, sessionId).health())
      .then(
        (h) => h.bound === true && h.session_id === sessionId,
        () => false,
      ));
  // A sandbox already bound to this session (adopted after a LAP restart, or bound by another
  // replica) keeps its key, its harness and its conversation: nothing to mint, bind or replay.
  const given = alreadyBound ? undefined : await bindHarness(deps, sandboxId, sessionId, agent, setup);
  if (!alreadyBound && !workspaceId) await placeFilesInSandbox(deps, sandboxId, agent);
  const client = new SupervisorClient(await provider.connect(sandboxId), sessionId);
  if (workspaceId && !alreadyBound) {
    const history = await deps.history(sessionId);
    if (history.length) await client.replayHistory(history);
  }
  // Nothing was lost when the session's own sandbox was taken over as it was: no session.recovered.
  const live: Live = {
    rowId,
    sandboxId,
    workspaceId: ws,
    client,
    agent,
    recovered: alreadyBound ? undefined : recovered,
    lastActivity: Date.now(),
    given,
  };
  return { live, kind };
}

async function ready(deps: SandboxRuntimeDeps, rowId: string, sandboxId: string) {
  try {
    await deps.provider.waitReady(sandboxId, { timeoutMs: 60_000 });
  } catch (err) {
    await deps.database.query(`update sandboxes set status = 'dead', reason = $2 where id = $1`, [
      rowId,
      (err as Error).message.slice(0, 500),
    ]);
    await deps.provider.destroy(sandboxId).catch(() => {});
    throw new RuntimeError(`sandbox did not start: ${(err as Error).message}`);
  }
}
