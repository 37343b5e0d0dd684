// The DeepAgents process: one LangGraph deep agent (`createDeepAgent`) for the session, run by the
// deepagents adapter (index.ts) as a child process, so it can be interrupted, killed and restarted
// like the other harnesses' CLIs. Commands arrive as JSON lines on stdin (runner-protocol.ts); LAP's
// normalized events leave as JSON lines on stdout, each turn ending with exactly one
// session.status_idle or session.error. Its only network peer is LAP's gateway: the model over
// OpenAI chat completions (`<gateway>/v1`) and the agent's MCP tools (`<gateway>/mcp`), both with the
// session key.
import { ChatOpenAI } from "@langchain/openai";
import { Command } from "@langchain/langgraph";
import { createDeepAgent, LocalShellBackend } from "deepagents";
import { denialMessage } from "../claude-code/permissions.ts";
import { lines } from "../process.ts";
import { RetriedResponses } from "../restarts.ts";
import { events as ev, type HarnessEvent } from "../types.ts";
import { FileSaver } from "./checkpoint.ts";
import { gatewayUnreachable, modelFailure, RUNNER_READY, type RunnerCommand, type RunnerConfig } from "./runner-protocol.ts";
import { interruptOn, mcpTools, needsApproval } from "./tools.ts";
import { DeepAgentsTranslator } from "./translate.ts";

const config = JSON.parse(process.env.LAP_DEEPAGENTS_CONFIG ?? "{}") as RunnerConfig;
const key = process.env.LAP_GATEWAY_KEY ?? "";
const emit = (event: HarnessEvent) => process.stdout.write(`${JSON.stringify(event)}\n`);

const required = new Set(config.approvalTools ?? []);
const ask = required.size ? (name: string) => needsApproval(name, required) : undefined;
const saver = new FileSaver(config.stateFile);
const model = new ChatOpenAI({
  model: config.model,
  apiKey: key,
  configuration: { baseURL: `${config.gatewayUrl.replace(/\/+$/, "")}/v1` },
  streaming: true,
  // LAP's gateway already retries its providers; a rejected request must surface, not loop.
  maxRetries: 1,
  useResponsesApi: false,
});

/** The deep agent with the agent's MCP tools, listed through LAP's gateway. */
async function buildAgent() {
  const mcp = await mcpTools(config.gatewayUrl, config.mcpServers ?? [], key);
  const agent = createDeepAgent({
    model,
    tools: mcp.tools,
    // Files and commands on the sandbox's workspace; LAP's sandbox is the boundary. Commands get the
    // sandbox's environment without the session key.
    backend: new LocalShellBackend({ rootDir: config.workspace, env: config.shellEnv, inheritEnv: false, timeout: 600 }),
    checkpointer: saver,
    ...(config.memory ? { memory: config.memory } : {}),
    ...(config.skills ? { skills: config.skills } : {}),
    ...(config.systemPrompt ? { systemPrompt: config.systemPrompt } : {}),
    ...(required.size
      ? {
          interruptOn: interruptOn(
            required,
            mcp.tools.map((t) => t.name),
          ),
        }
      : {}),
  });
  return { agent, mcp };
}

/**
 * Built at the first turn, not at start: listing the MCP tools asks LAP's gateway, and in a warm
 * pre-started sandbox the gateway proxy holds every such request until the bind
 * (harness/supervisor/gateway-proxy.ts), so a runner that listed them first was never ready before
 * the bind and each warm slot waited out warmUp's 60 s (index.ts). A failed build is tried again next turn.
 */
let built: ReturnType<typeof buildAgent> | undefined;
function deepAgent(): ReturnType<typeof buildAgent> {
  built ??= buildAgent().catch((error) => {
    built = undefined;
    throw error;
  });
  return built;
}
const translator = new DeepAgentsTranslator(ask);
// Loaded (LangChain, LangGraph, DeepAgents) and the model client made: a warm pre-start can stop waiting (index.ts warmUp).
process.stdout.write(`${JSON.stringify({ type: RUNNER_READY })}\n`);
const thread = { configurable: { thread_id: config.threadId } };

/** Calls the agent stopped on for a person, in the interrupt's order, with the decisions given so far. */
const DROPPED =
  "Not run: another tool call of the same step was denied, and DeepAgents then runs none of that step's calls; the model was asked again.";

let pending: { ids: string[]; decisions: Map<string, { type: "approve" } | { type: "reject"; message: string }> } | undefined;
let running: AbortController | undefined;

/**
 * Runs the graph until it ends or stops for approval; `dropped`: calls that never run in this run
 * (reported before its end). When LAP's gateway cannot be reached (LAP is restarting: its sandboxes
 * outlive it, docs/sessions.md) the run resumes from the thread's last checkpoint, so the cut model
 * step is tried again, until LAP_GATEWAY_RETRY_SECONDS (the sandbox's orphan grace period) have
 * passed; text the cut attempt had streamed is followed by an `agent.message` with `restarted`.
 * An answer from the gateway (an HTTP status) is not retried.
 */
async function run(input: unknown, dropped: string[] = []): Promise<void> {
  const controller = new AbortController();
  running = controller;
  const retryMs = (Number(process.env.LAP_GATEWAY_RETRY_SECONDS) || 0) * 1000;
  const started = Date.now();
  const retries = new RetriedResponses();
  try {
    const { agent } = await deepAgent();
    for (let attempt = 1; ; attempt++) {
      let asked: ReturnType<DeepAgentsTranslator["translate"]>["interrupt"];
      try {
        // A retry resumes the thread where its last checkpoint left it (`null` input: LangGraph runs the failed node again).
        const stream = await agent.stream((attempt === 1 ? input : null) as never, {
          ...thread,
          streamMode: ["messages", "updates"],
          signal: controller.signal,
          recursionLimit: 10_000,
        });
        for await (const chunk of stream as AsyncIterable<[string, unknown]>) {
          const [mode, data] = chunk;
          const translated = translator.translate(mode, data);
          for (const event of translated.events) {
            retries.seen(event);
            emit(event);
          }
          if (translated.interrupt?.length) asked = translated.interrupt;
        }
      } catch (error) {
        if (controller.signal.aborted || !gatewayUnreachable(error) || Date.now() - started > retryMs) throw error;
        for (const event of retries.retried(
          `LAP's gateway was unreachable (${error instanceof Error ? error.message : String(error)}); the model step is tried again`,
        ))
          emit(event);
        await abortableSleep(Math.min(250 * 2 ** attempt, 3_000), controller.signal);
        continue;
      }
      for (const id of dropped.filter((one) => !translator.isReported(one))) {
        translator.markReported(id);
        emit(ev.toolResult(id, DROPPED, true));
      }
      if (asked) {
        pending = { ids: translator.idsFor(asked), decisions: new Map() };
        emit(ev.requiresAction(pending.ids));
      } else emit(ev.idle("end_turn"));
      return;
    }
  } catch (error) {
    if (controller.signal.aborted) emit(ev.idle("interrupted"));
    else emit(modelFailure(error, config.model));
  } finally {
    running = undefined;
  }
}

/** Sleeps `ms`, or less when `signal` aborts (the caller sees `signal.aborted`). */
function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });
}

async function onCommand(command: RunnerCommand): Promise<void> {
  if (command.type === "interrupt") {
    running?.abort();
    return;
  }
  if (command.type === "turn") {
    // A message instead of a decision refuses the waiting calls (as the other harnesses do); the
    // agent's patch middleware answers the dangling calls in the thread for the model.
    for (const id of pending?.ids ?? []) {
      translator.markReported(id);
      emit(ev.toolResult(id, "Not run: the user sent a new message instead of deciding on this tool call.", true));
    }
    pending = undefined;
    // Attachments as OpenAI chat parts (LangChain passes them to the gateway as they are).
    const parts = (command.attachments ?? []).map((a) =>
      a.kind === "image"
        ? { type: "image_url", image_url: { url: `data:${a.mediaType};base64,${a.data}` } }
        : { type: "file", file: { filename: a.title ?? "document.pdf", file_data: `data:${a.mediaType};base64,${a.data}` } },
    );
    await run({ messages: [{ role: "user", content: parts.length ? [{ type: "text", text: command.text }, ...parts] : command.text }] });
    return;
  }
  const waiting = pending;
  if (!waiting?.ids.includes(command.tool_use_id) || waiting.decisions.has(command.tool_use_id)) {
    emit(ev.error("harness_failed", `no tool call ${command.tool_use_id} is waiting for a decision`));
    return;
  }
  waiting.decisions.set(
    command.tool_use_id,
    command.result === "allow" ? { type: "approve" } : { type: "reject", message: denialMessage(command.deny_message) },
  );
  const undecided = waiting.ids.filter((id) => !waiting.decisions.has(id));
  // The middleware takes every decision of one interrupt at once: until all are in, the turn waits again.
  if (undecided.length) {
    emit(ev.requiresAction(undecided));
    return;
  }
  pending = undefined;
  const decisions = waiting.ids.map((id) => waiting.decisions.get(id)!);
  // LangChain's human-in-the-loop middleware runs none of a response's calls once one is denied: the
  // approved ones are dropped and the model is asked again. Their results say so (never left unanswered).
  const dropped = decisions.some((d) => d.type === "reject")
    ? waiting.ids.filter((id) => waiting.decisions.get(id)!.type === "approve")
    : [];
  await run(new Command({ resume: { decisions } }), dropped);
}

// One command at a time, in order; an interrupt is handled at once (it aborts the running one).
let queue = Promise.resolve();
for await (const line of lines(Bun.stdin.stream() as ReadableStream<Uint8Array>)) {
  let command: RunnerCommand;
  try {
    command = JSON.parse(line) as RunnerCommand;
  } catch {
    console.error(`deepagents: bad command line: ${line.slice(0, 200)}`);
    continue;
  }
  if (command.type === "interrupt") void onCommand(command);
  else queue = queue.then(() => onCommand(command));
}
await queue;
await built?.then(
  ({ mcp }) => mcp.close(),
  () => undefined,
);
