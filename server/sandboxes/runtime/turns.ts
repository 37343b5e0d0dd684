/**
 * One turn's edges in a sandbox: what LAP sends the supervisor (a message or a tool confirmation), how
 * the turn's last event reports a kill at the memory limit, and a send to a sandbox that died between
 * turns told apart from one that failed. Used by the sandbox runtime (./sandbox-runtime.ts).
 */
import { MessageNotTakenError } from "../../runtimes/adapter";
import { type ContentPart, confirmationIn, type SessionEventData } from "../../../schema/session-events";
import type { SandboxProvider } from "../provider";
import { SupervisorHttpError } from "../supervisor-client";
import { memoryLimitTurnEnd, sandboxMemoryKills, waitsForApproval } from "./memory-limit";
import type { Live } from "./runtime-deps";

/**
 * A call to a sandbox that died after it was last seen (killed between turns) fails to connect: once
 * the provider has seen the death, that is a MessageNotTakenError, and the turn opens its stream again
 * (which brings the session's next sandbox) and sends the message there.
 */
export async function orNotTaken<T>(provider: SandboxProvider, live: Live, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!supervisorUnreachable(err)) throw err;
    const gone = async () => (await provider.get(live.sandboxId))?.state !== "ready" || (await supervisorGone(live));
    for (let i = 0; i < 60 && !(await gone()); i++) await Bun.sleep(50);
    // Still running: not a dead sandbox (and maybe a message taken), so the error stands.
    if (!(await gone())) throw err;
    throw new MessageNotTakenError(`the sandbox was gone before it took the message (${(err as Error).message})`);
  }
}

/** The turn's last event as LAP records it: a kill at the memory limit during the turn is said there (./memory-limit.ts). */
export async function endOfTurn(provider: SandboxProvider, live: Live, event: SessionEventData): Promise<SessionEventData> {
  if (waitsForApproval(event)) return event; // the turn answering it continues this one and reports it
  const before = live.oomKillsAtTurnStart;
  live.oomKillsAtTurnStart = undefined;
  if (before == null) return event;
  const now = await sandboxMemoryKills(provider, live.sandboxId);
  return now.kills != null && now.kills > before ? memoryLimitTurnEnd(event, now.kills - before, now.limitMb) : event;
}

/** A message or a tool confirmation; returns the supervisor's last seq before the turn's events. */
export function sendContent(live: Live, content: ContentPart[]): Promise<number> {
  const confirmation = confirmationIn(content);
  if (confirmation) return live.client.sendConfirmation(confirmation);
  // Text parts joined into one, attachments as they are (image and document blocks, docs/sessions.md "Attachments").
  const text = content
    .map((p) => (p.type === "text" && typeof (p as { text?: unknown }).text === "string" ? (p as { text: string }).text : ""))
    .join("");
  const attachments = content.filter((p) => p.type === "image" || p.type === "document");
  return live.client.sendMessage(attachments.length ? [...(text ? [{ type: "text", text }] : []), ...attachments] : text);
}

/**
 * The sandbox's process runs but its supervisor takes no connection: the supervisor was killed on its
 * own (at the memory limit, say) while the harness or a command the agent ran holds the sandbox up.
 * Nothing in that sandbox can take a turn or report one, so it counts as dead (sandbox-runtime.ts `heal`).
 */
export async function supervisorGone(live: Live): Promise<boolean> {
  // Twice, a moment apart: a reset or a slow accept may come from a live supervisor.
  for (let attempt = 0; attempt < 2; attempt++) {
    if (attempt) await Bun.sleep(50);
    try {
      // A slow answer (a loaded machine) is a live supervisor, never a dead one.
      await Promise.race([live.client.health(), Bun.sleep(5_000)]);
      return false;
    } catch (err) {
      // An HTTP answer, even an error, comes from a live supervisor; no connection at all (refused, or
      // its socket gone) does not.
      if (err instanceof SupervisorHttpError) return false;
    }
  }
  return true;
}

/** The supervisor's socket refused or dropped the connection: its sandbox is gone, nothing was sent. */
function supervisorUnreachable(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return (
    ["ECONNREFUSED", "ENOENT", "ECONNRESET"].includes(e?.code ?? "") ||
    /ECONNREFUSED|ENOENT|socket connection was closed/.test(e?.message ?? "")
  );
}
