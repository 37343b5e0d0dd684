/**
 * What a session's harness is started with, apart from the session itself (its id and key): the
 * agent's model, system prompt with always-on memory (docs/memory.md), MCP servers and LAP's platform
 * tools, approval-required tools, rules and skills (docs/skills.md). The warm pool pre-starts a
 * harness with this (`SandboxProvider.prepare`) before any session exists, and a session's bind gives
 * exactly the same fields, so the supervisor keeps the pre-started harness when they match
 * (docs/sandboxes.md "Warm pool"). `hash` goes into the warm slot's spec hash: a slot is claimed only
 * by a session whose setup matches, and recycled when the agent's setup changes.
 */
import { createHash } from "node:crypto";
import { PLATFORM_SERVER, REQUEST_APPROVAL } from "../../platform/tools";
import type { AgentDefinition } from "../../runtimes/adapter";
import type { SandboxPreparation } from "../provider";
import type { Live, SandboxRuntimeDeps } from "./runtime-deps";

export interface HarnessSetup {
  preparation: SandboxPreparation;
  /** The agent's own MCP servers (what the session key may use; LAP's platform server is the key's session's own). */
  keyServers: string[];
  /** Names and versions of the rules and skills given, for `session.context`. */
  given: Live["given"];
  hash: string;
}

type SetupDeps = Pick<SandboxRuntimeDeps, "mcpServersFor" | "contextFor" | "sessionContext">;

/** The harness setup for `agent`; `sessionId` decides whose always-on memory is in the prompt (null: the agent's alone). */
export async function harnessSetup(deps: SetupDeps, agent: AgentDefinition, sessionId: string | null): Promise<HarnessSetup> {
  const keyServers = (await deps.mcpServersFor?.(agent)) ?? [];
  const context = await deps.contextFor?.(agent.id);
  const hasContext = !!context && (context.rules.length > 0 || context.skills.length > 0);
  const extra = sessionId ? await deps.sessionContext?.(sessionId, agent) : undefined;
  const systemPrompt = [agent.systemPrompt, extra?.memoryPrompt].filter(Boolean).join("\n\n");
  const preparation: SandboxPreparation = {
    agentId: agent.id,
    model: agent.model,
    ...(systemPrompt ? { systemPrompt } : {}),
    // LAP's own tools ride beside the agent's servers; asking for approval always waits for a person.
    mcpServers: extra?.platform ? [...keyServers, PLATFORM_SERVER] : keyServers,
    approvalRequiredTools: extra?.platform
      ? [...agent.approvalRequiredTools, `${PLATFORM_SERVER}__${REQUEST_APPROVAL}`]
      : agent.approvalRequiredTools,
    ...(hasContext ? { context } : {}),
  };
  const given = hasContext
    ? {
        rules: context.rules.map((r) => ({ name: r.name, version: r.version })),
        skills: context.skills.map((k) => ({ name: k.name, version: k.version })),
      }
    : undefined;
  return { preparation, keyServers, given, hash: preparationHash(preparation) };
}

/** A stable digest of a preparation (the supervisor compares the fields themselves; LAP only needs equality). */
export function preparationHash(p: SandboxPreparation): string {
  return createHash("sha256")
    .update(
      JSON.stringify([p.agentId, p.model, p.systemPrompt ?? null, p.mcpServers ?? [], p.approvalRequiredTools ?? [], p.context ?? null]),
    )
    .digest("hex")
    .slice(0, 16);
}

/** The warm slot's hash: the sandbox spec's and the harness setup's together. */
export const slotHash = (specHash: string, setupHash: string) =>
  createHash("sha256").update(`${specHash}\u0000${setupHash}`).digest("hex").slice(0, 16);
