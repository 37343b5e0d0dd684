// The wire between the deepagents adapter (index.ts) and its DeepAgents process (runner.ts): the
// process's configuration (an environment variable, the key in another), its commands (JSON lines on
// stdin), and how a failed model call becomes LAP's session.error.
import { events as ev, type HarnessEvent, type McpEndpoint } from "../types.ts";

export type RunnerConfig = {
  model: string;
  /** Origin of LAP's gateway (the model at /v1, MCP at /mcp). */
  gatewayUrl: string;
  workspace: string;
  /** The LangGraph thread's checkpoints (checkpoint.ts), under the harness home. */
  stateFile: string;
  threadId: string;
  approvalTools?: string[];
  mcpServers?: McpEndpoint[];
  /** The agent's system prompt with its always-on memory (docs/memory.md). */
  systemPrompt?: string;
  /** Environment of the agent's shell commands (never the session key). */
  shellEnv: Record<string, string>;
  /** The agent's rules (an AGENTS.md) and skills folder, absolute paths under the harness home (harness/context.ts). */
  memory?: string[];
  skills?: string[];
};

/** The runner's first line once its agent is built (a warm pre-start waits for it; never a session event). */
export const RUNNER_READY = "runner.ready";

export type RunnerCommand =
  /** `attachments`: images and PDFs of the message (docs/sessions.md "Attachments"). */
  | { type: "turn"; text: string; attachments?: Array<{ kind: "image" | "document"; mediaType: string; data: string; title?: string }> }
  | { type: "decide"; tool_use_id: string; result: "allow" | "deny"; deny_message?: string }
  | { type: "interrupt" };

type ApiErrorLike = { status?: unknown; message?: unknown; lc_error_code?: unknown; error?: { message?: unknown } };

/**
 * A model call LAP's gateway refused (unknown model, key, budget: an HTTP status from the OpenAI
 * client) is a `model_error` naming the model; anything else is the harness failing.
 */
export function modelFailure(error: unknown, model: string): HarnessEvent {
  const failure = (error ?? {}) as ApiErrorLike & { cause?: ApiErrorLike };
  // LangChain appends a troubleshooting link; LangGraph may re-create the error without its fields,
  // leaving the OpenAI client's "404 <message>" form as the only trace of the status.
  const raw = String(failure.message ?? error)
    .replace(/\s*Troubleshooting URL: \S+\s*$/, "")
    .trim();
  const leading = /^([45]\d\d) (.*)$/s.exec(raw);
  const status = [failure.status, failure.cause?.status, leading ? Number(leading[1]) : undefined].find(
    (value): value is number => typeof value === "number",
  );
  const message = leading ? leading[2]! : raw;
  if (status !== undefined || failure.lc_error_code === "MODEL_NOT_FOUND") {
    return ev.error("model_error", `model "${model}" was rejected by the gateway${status ? ` (HTTP ${status})` : ""}: ${message}`);
  }
  return ev.error("harness_failed", `deepagents: ${message}`);
}

/** Network failures on the way to LAP's gateway (not an answer from it): what a LAP restart looks like. */
const UNREACHABLE =
  /ECONNRESET|ECONNREFUSED|EPIPE|ConnectionRefused|ConnectionClosed|socket connection was closed|Connection error|Unable to connect|fetch failed/i;

/**
 * Whether a failed run never got an answer from LAP's gateway (LAP was restarting): an error, or one
 * of its causes, naming a network failure, and no HTTP status anywhere in the chain.
 */
export function gatewayUnreachable(error: unknown): boolean {
  let unreachable = false;
  for (
    let e = error as (ApiErrorLike & { code?: unknown; name?: unknown; cause?: unknown }) | undefined, depth = 0;
    e && depth < 5;
    e = e.cause as typeof e, depth++
  ) {
    if (typeof e !== "object") return unreachable || UNREACHABLE.test(String(e));
    if (typeof e.status === "number") return false;
    if (e.name === "APIConnectionError" || UNREACHABLE.test(`${String(e.code ?? "")} ${String(e.message ?? "")}`)) unreachable = true;
  }
  return unreachable;
}
