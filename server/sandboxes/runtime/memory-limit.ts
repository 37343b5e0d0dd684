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
