/**
 * The big modules and the services between them, built in dependency order (docs/development.md
 * "Layers"): the gateway, the runtimes, the sessions (with approvals and agents acting on them), the
 * vault and files, the sandboxes, memory and LAP's platform tools, the MCP gateway, and the sandbox
 * runtime agents on the built-in runtime run through.
 */
import { agentsForSandboxes } from "../agents/for-sandboxes";
import { join, resolve } from "node:path";
import { createMcpModule } from "../../mcp";
import { AgentService } from "../agents/service";
import { approvalSideEffects, approvalsForSessions } from "../approvals/record";
import { ApprovalService } from "../approvals/service";
import { AgentFileService } from "../files/agent-files";
import { WorkspaceFiles } from "../files/workspace";
import { chatOnBehalfOf } from "../gateway/internal-call";
import { createGateway } from "../gateway/module";
import { createSecretBox } from "../lib/crypto";
import { MemoryService } from "../memory/service";
import { PlatformService } from "../platform/service";
import type { RuntimeAdapter } from "../runtimes/adapter";
import { RuntimeService } from "../runtimes/service";
import type { EgressRecord } from "../sandboxes/egress/proxy";
import { createSandboxes } from "../sandboxes/module";
import { sandboxRuntimeForSessions } from "../sandboxes/runtime/for-sessions";
import { sandboxConfigFrom } from "../sandboxes/settings";
import { sessionsForSandboxes } from "../sessions/for-sandboxes";
import { createSessionModule } from "../sessions/module";
import { VaultService } from "../vault/service";
import type { AppDeps } from "./deps";
import type { Foundation } from "./foundation";

export function buildCore(deps: AppDeps, f: Foundation) {
  const { config, database, logger } = deps;
  const env = config.env;
  const { audit, destinations, record, tracer, guard } = f;
  const gateway = createGateway({
    settings: env,
    encryptionKey: config.encryptionKey,
    database,
    auth: f.auth,
    logger,
    osEnviron: deps.rawEnv ?? process.env,
    audit,
    metrics: record.gateway,
    tracer,
    guard,
  });
  // The one cycle in the wiring: sessions run turns through the runtimes, and the built-in sandbox
  // runtime reads the sessions (history, status). The runtimes reach it through this binding, made
  // at the end of this function; the first turn that needs it runs after createApp returned.
  let sandboxRuntime: ReturnType<typeof sandboxRuntimeForSessions> | undefined;
  const sandboxAdapter = (): RuntimeAdapter => {
    if (!sandboxRuntime) throw new Error("the sandbox runtime is used before the app is built");
    return sandboxRuntime.get();
  };
  const { adapterFactory, ...sessionOptions } = deps.sessionOptions ?? {};
  const runtimes = new RuntimeService({
    database,
    secrets: createSecretBox(config.encryptionKey),
    adapterFactory,
    sandboxAdapter,
    audit,
    destinations,
  });
  const sessions = createSessionModule({
    database,
    logger,
    tokens: f.tokens,
    guard,
    runtimes,
    sideEffects: approvalSideEffects,
    approvals: approvalsForSessions(database),
    metrics: { turns: record.turns, eventAppend: record.eventAppend, busLag: record.busLag },
    tracer,
    audit,
    titles: { model: env.LAP_TITLE_MODEL, call: (body, on) => chatOnBehalfOf(gateway.service, body, on) },
    ...sessionOptions,
  });
  const approvals = new ApprovalService({ database, sessions: sessions.sessions, audit });
  const agents = new AgentService({
    database,
    beforeDelete: (agentId) => sessions.sessions.stopAgentSessions(agentId),
    destinations,
    gatewayModel: (model) => gateway.service.modelCheck(model),
    audit,
  });
  const vault = new VaultService({ database, box: createSecretBox(config.encryptionKey), destinations, audit });
  const agentFiles = new AgentFileService({
    database,
    limits: {
      maxFileBytes: env.LAP_AGENT_FILE_MAX_BYTES,
      maxFiles: env.LAP_AGENT_FILES_MAX_COUNT,
      maxTotalBytes: env.LAP_AGENT_FILES_MAX_TOTAL_BYTES,
    },
    audit,
  });
  // What the sandboxes read of sessions and agents, through their owners (docs/development.md "Layers").
  const sessionsOfSandboxes = sessionsForSandboxes(database);
  const agentsOfSandboxes = agentsForSandboxes(database);
  const sandboxes = createSandboxes({
    ...sandboxConfigFrom(config, deps.rawEnv ?? process.env),
    database,
    logger,
    guard,
    sessions: sessionsOfSandboxes,
    agents: agentsOfSandboxes,
    lapUpstream: () => ({ host: "127.0.0.1", port: Number(new URL(f.baseUrl()).port) || env.PORT }),
    kubernetes: deps.kubernetes,
    vault: {
      resolve: (names, teamId) => vault.resolve(names, teamId),
      secretsUsed: (uses) => vault.markUsed(uses),
      secretsNamed: (names, tx) => vault.secretsNamed(names, tx),
    },
    destinations,
    metrics: record.sandboxes,
    tracer,
    audit,
    // Seen by the egress proxy in GitHub's answer (docs/github.md); shown on the session.
    onPullRequest: async (sessionId, pr) =>
      void (await sessions.store.append(sessionId, [{ type: "session.pull_request", data: { ...pr } }])),
    agentFiles: (agentId) => agentFiles.forSession(agentId),
  });
  const workspaceFiles = new WorkspaceFiles({
    database,
    workspacesDir: join(resolve(env.LAP_DATA_DIR), "workspaces"),
    hostId: config.hostId,
    sessionRow: (id, p) => sessions.sessions.row(id, p),
    // A pod's workspace through its supervisor (kubernetes); the provider is built on first use.
    remote: {
      request: (sandboxId, path) => {
        const provider = sandboxes.service.provider();
        if (!provider.workspaceRequest) return Promise.reject(new Error(`the ${provider.name} provider has no workspace API`));
        return provider.workspaceRequest(sandboxId, path);
      },
    },
  });
  // Agents' memory, and LAP's platform tools for their sessions (/mcp/lap: docs/memory.md).
  const memory = new MemoryService({ database, agents, audit });
  const platform = new PlatformService({
    database,
    memory,
    sessions: sessions.sessions,
    chargeParent:
      env.LLM_PROVIDER === "litellm" ? undefined : async (child, parent) => void (await gateway.service.chargeParentSession(child, parent)),
  });
  const mcp = createMcpModule({
    settings: env,
    encryptionKey: config.encryptionKey,
    baseUrl: f.baseUrl,
    database,
    guard,
    auth: f.auth,
    logger,
    destinations,
    // Stdio MCP servers' egress decisions join the sandboxes' records.
    egressSink: { push: (r: EgressRecord) => sandboxes.service.egressRecords.push(r) },
    platform,
    audit,
    metrics: record.mcp,
    tracer,
  });
  sandboxRuntime = sandboxRuntimeForSessions({
    baseUrl: f.baseUrl,
    database,
    sessions: {
      history: sessions.history,
      recovering: (id) => sessions.status.recovering(id),
      recovered: (id, prior) => sessions.status.recovered(id, prior),
      ownerAndParent: (id) => sessionsOfSandboxes.ownerAndParent(id),
    },
    agents: agentsOfSandboxes,
    gateway: gateway.service,
    sandboxes: sandboxes.service,
    mcp: mcp.gateway,
    memory,
  });
  const runtime = sandboxRuntime;
  // A lost pod is recovered at once, not at the session's next message (kubernetes only: host sandboxes are checked per call).
  deps.kubernetes?.onLost((e) => void runtime.onSandboxLost(e.id, logger));
  return {
    gateway,
    runtimes,
    sessions,
    approvals,
    agents,
    vault,
    agentFiles,
    workspaceFiles,
    sandboxes,
    sandboxRuntime,
    memory,
    platform,
    mcp,
  };
}
export type Core = ReturnType<typeof buildCore>;
