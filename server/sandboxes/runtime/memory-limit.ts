/**
 * A process killed at the sandbox's memory limit (SANDBOX_MEMORY_MB, a cgroup the host providers
 * create) during a turn ends that turn in a session.error naming the limit, whatever the harness made
 * of the kill (a tool result saying "Killed", or nothing). See docs/sandboxes.md.
 */
import type { SessionEventData } from "../../../schema/session-events";
import { memoryLimitText, type SandboxProvider } from "../provider";

/** The sandbox's count of kills at its memory limit (null where the provider does not count them) and the limit. */
export async function sandboxMemoryKills(
  provider: SandboxProvider,
  sandboxId: string,
): Promise<{ kills: number | null; limitMb?: number }> {
  const info = (await provider.get(sandboxId).catch(() => null))?.info;
  return {
    kills: typeof info?.oomKills === "number" ? info.oomKills : null,
    limitMb: typeof info?.memoryLimitMb === "number" ? info.memoryLimitMb : undefined,
  };
}

export const waitsForApproval = (event: SessionEventData) =>
  event.type === "session.status_idle" && (event as { stop_reason?: { type?: string } }).stop_reason?.type === "requires_action";

/** The session.error that ends a turn during which `killed` processes went past the memory limit. */
export function memoryLimitTurnEnd(event: SessionEventData, killed: number, limitMb: number | undefined): SessionEventData {
  const what = killed === 1 ? "a process" : `${killed} processes`;
  const harness = event.type === "session.error" ? ` The harness reported: ${(event as { error: { message: string } }).error.message}` : "";
  const message = `The kernel killed ${what} in this session's sandbox for going past its memory limit (${memoryLimitText(limitMb)}). Raise SANDBOX_MEMORY_MB or make the task use less memory.${harness}`;
  return { type: "session.error", error: { type: "memory_limit_exceeded", message } } as SessionEventData;
}

/**
 * Whether the kernel killed processes at the memory limit since `before` (the turn's start count; null
 * or undefined: since the sandbox started), read from a sandbox's handle: live counters while it runs,
 * the last count once its process has exited (host/sandbox-process.ts `exitError`).
 */
export function killedAtLimitSince(info: Record<string, unknown> | undefined, before: number | null | undefined): boolean {
  const kills = info?.oomKills;
  return typeof kills === "number" && kills > (before ?? 0);
}

/**
 * The session.error ending a turn whose sandbox died (its supervisor killed, or the whole sandbox) after
 * the kernel killed processes in it at its memory limit: the turn cannot finish, the session goes on.
 */
export function sandboxLostAtMemoryLimit(limitMb: number | undefined): SessionEventData {
  const message = `The sandbox running this turn died after the kernel killed processes in it for going past its memory limit (${memoryLimitText(limitMb)}); the reply so far is incomplete. Raise SANDBOX_MEMORY_MB or make the task use less memory. The session goes on with its history on a new sandbox.`;
  return { type: "session.error", error: { type: "memory_limit_exceeded", message } } as SessionEventData;
}
