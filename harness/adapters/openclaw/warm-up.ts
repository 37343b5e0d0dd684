// A warm pre-start's throwaway prompt (docs/sandboxes.md "Warm pool"). OpenClaw's Gateway does most of its
// first-run work on its first prompt, not at start: it loads its embedded agent runner, tools and provider
// transport, creates and verifies the agent's database, and builds the system prompt (~4 CPU-s, ~3-5 s
// before a warm session's first token). One prompt on a throwaway Gateway session (its own session key,
// never the LAP session's `agent:main:lap`) runs that path against the stub model inside the sandbox
// (../warm-up-stub.ts): an inline `/model lap-warm-up/<model> -s` selects the stub for that session only,
// so the agent's model, the LAP session's transcript and LAP's gateway see nothing of it.
import type { JsonRpc } from "../codex/rpc.ts";
import { WARM_UP_PROVIDER } from "../warm-up-stub.ts";

/** The Gateway session the warm-up prompt goes to (agent `main`, as the LAP session's). */
export const WARM_UP_SESSION_KEY = "agent:main:lap-warm-up";
/** How long a warm pre-start waits for the warm-up prompt to end. */
const WARM_UP_MS = 90_000;

/** The warm-up's text: the model directive is stripped before the model sees the rest. */
export function warmUpText(model: string): string {
  return `/model ${WARM_UP_PROVIDER}/${model} -s warm-up`;
}

/** Runs the prompt on a new ACP session for the throwaway key, then closes it; resolves after WARM_UP_MS at the latest. */
export async function warmUpPrompt(rpc: Pick<JsonRpc, "request" | "notify">, workspace: string, model: string): Promise<void> {
  const opened = await rpc.request<{ sessionId: string }>("session/new", {
    cwd: workspace,
    mcpServers: [],
    _meta: { sessionKey: WARM_UP_SESSION_KEY, resetSession: true },
  });
  const sessionId = opened.sessionId;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const prompt = rpc.request("session/prompt", { sessionId, prompt: [{ type: "text", text: warmUpText(model) }] }).then(
    () => true,
    () => true,
  );
  const ended = await Promise.race([prompt, new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), WARM_UP_MS)))]);
  clearTimeout(timer);
  if (!ended) rpc.notify("session/cancel", { sessionId });
  await rpc.request("session/close", { sessionId }).catch(() => undefined);
}
