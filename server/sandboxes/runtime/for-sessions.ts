import type { Config } from "../../config/load";
import type { Database } from "../../db/client";
import type { GatewayService } from "../../gateway/service";
import type { McpGateway } from "../../mcp/service";
import type { SandboxService } from "../service";
import type { SandboxRuntimeAdapter } from "./sandbox-runtime";

/**
 * The sandbox runtime as the sessions module uses it for agents on the built-in `local-sandbox`
 * runtime: session keys come from LAP's gateway (the agent's model only, revoked when the session
 * ends), the sandbox spec from the agent row (SandboxService.specForAgent: harness, egress
 * allow-list, vault stubs), and the history for replay from the event log.
 * Built on first use, so a LAP that never runs a sandboxed agent never starts the sandbox machinery.
 */
export function sandboxRuntimeForSessions(deps: { config: Config; database: Database; gateway: GatewayService; sandboxes: SandboxService; mcp?: McpGateway }) {
  let adapter: SandboxRuntimeAdapter | undefined;
  const get = (): SandboxRuntimeAdapter =>
    (adapter ??= deps.sandboxes.adapter({
      // Read at call time: with PORT=0 the base URL is known only after listen.
      get gatewayBaseUrl() {
        return `${deps.config.baseUrl}/v1`;
      },
      mintSessionKey: async ({ sessionId, agentId, model, mcpServers }) =>
        (await deps.gateway.mintSessionKey({ sessionId, agentId, models: [model], duration: "7d", mcpServers })).key,
      // The agent's servers that are registered in LAP's MCP gateway (a sandbox has no other network).
      mcpServersFor: async (agent) => {
        if (!deps.mcp || !agent.mcpServers.length) return [];
        const registered = new Set((await deps.mcp.servers()).map((r) => r.name));
        return agent.mcpServers.map((s) => s.name).filter((name) => registered.has(name));
      },
      revokeSessionKey: async (sessionId) => {
        await deps.gateway.revokeSessionKeys(sessionId);
      },
      history: async (sessionId) =>
        (
          await deps.database.query<{ type: string; data: Record<string, unknown> }>(
            "select type, data from session_events where session_id = $1 order by seq",
            [sessionId],
          )
        ).map((r) => ({ ...r.data, type: r.type })),
    }));
  /**
   * A sandbox's pod was lost (the kubernetes pod monitor saw it deleted, terminating or failing). When
   * this LAP serves the session, it is `recovering` while a new sandbox is claimed and given the history,
   * then back to idle; a running turn recovers through its own stream instead. The next stream of the
   * session starts with `session.recovered`.
   */
  async function onSandboxLost(sandboxId: string, log?: { warn(obj: object, msg: string): void }) {
    const sessionId = adapter?.sessionOfSandbox(sandboxId);
    if (!adapter || !sessionId) return;
    const [marked] = await deps.database.query(`update sessions set status = 'recovering', updated_at = now() where id = $1 and status = 'idle' returning id`, [sessionId]);
    try {
      await adapter.recover(sessionId);
    } catch (err) {
      log?.warn({ err, session_id: sessionId, sandbox_id: sandboxId }, "recovering a lost sandbox failed; the next message tries again");
    } finally {
      if (marked) await deps.database.query(`update sessions set status = 'idle', updated_at = now() where id = $1 and status = 'recovering'`, [sessionId]);
    }
  }
  return { get, current: () => adapter, onSandboxLost };
}
