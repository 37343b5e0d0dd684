// A warm pre-start's throwaway prompt (docs/sandboxes.md "Warm pool"): opencode does most of its
// first-turn work (loading the provider, its tools, the workspace scan) on the first prompt, not at
// `serve`. A throwaway session's prompt runs that path against the warm-up stub (warm-stub.ts) or, with
// no stub, against the gateway proxy, which refuses it before the bind (nothing reaches LAP); the
// session is then deleted. The LAP session's own conversation is the one the adapter created.
import type { OpencodeServer } from "./server.ts";

/** How long a warm pre-start waits for opencode's warm-up prompt to end. */
const WARM_UP_MS = 90_000;

/**
 * Runs the prompt and resolves once its session went idle (or failed), or after WARM_UP_MS.
 * `watch` is told the throwaway session's id and what to call when the bus says it ended.
 */
export async function warmUpPrompt(
  server: Pick<OpencodeServer, "api">,
  model: { providerID: string; modelID: string },
  watch: (sessionId: string, ended: () => void) => void,
): Promise<void> {
  const created = await server.api("/session", { method: "POST", body: JSON.stringify({}) });
  if (!created.ok) throw new Error(`opencode: creating the warm-up session failed (HTTP ${created.status})`);
  const id = ((await created.json()) as { id: string }).id;
  const ended = new Promise<void>((resolve) => watch(id, resolve));
  const prompt = await server.api(`/session/${id}/prompt_async`, {
    method: "POST",
    body: JSON.stringify({ parts: [{ type: "text", text: "warm-up" }], model }),
  });
  if (prompt.ok) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([ended, new Promise<void>((resolve) => (timer = setTimeout(resolve, WARM_UP_MS)))]);
    clearTimeout(timer);
  }
  await server.api(`/session/${id}`, { method: "DELETE" }).catch(() => undefined);
}
