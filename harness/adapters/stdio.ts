// Runs one harness adapter as the program LAP's supervisor starts inside the sandbox
// (harness/adapters/<name>/main.ts): commands arrive as JSON lines on stdin (configure, history,
// turn, tool_confirmation, interrupt; see harness/protocol.ts) and normalized events leave as
// JSON lines on stdout. stderr is the harness's own log.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeHarnessContext } from "../context.ts";
import type { HarnessContext } from "../protocol.ts";
import { createHarnessAdapter, type RunningHarness } from "./index.ts";
import { type Attachment, splitContent } from "./attachments.ts";
import { lines } from "./process.ts";
import {
  contentText,
  type HarnessEvent,
  type HarnessName,
  type HistoryEntry,
  type TextContent,
  type ToolConfirmation,
  type TurnResult,
} from "./types.ts";

type Configure = {
  sessionId: string;
  model: string;
  gatewayBaseUrl: string;
  gatewayKey: string;
  workspace: string;
  mcp?: { url: string; servers: Array<{ name: string; url: string }> };
  approvalRequiredTools?: string[];
  context?: HarnessContext;
  systemPrompt?: string;
  mcpStartTimeoutMs?: number;
};
type StoredEvent = { type: string; content?: unknown; [field: string]: unknown };
type Command =
  | { type: "configure"; config: Configure }
  | { type: "history"; events: StoredEvent[] }
  | { type: "turn"; turnId?: string; content: unknown[] }
  | { type: "tool_confirmation"; turnId?: string; confirmation: ToolConfirmation }
  | { type: "interrupt" }
  | { type: "start" }
  | { type: "bound" };

/**
 * Conversation so far, from stored normalized events: user prompts and the agent's replies. A user
 * message's images and documents are named where they were sent (`[attached image: image/png]`);
 * `historyAttachments` gives the CLI their bytes again.
 */
export function historyFromEvents(stored: StoredEvent[]): HistoryEntry[] {
  const out: HistoryEntry[] = [];
  for (const event of stored) {
    if (event.type === "user.message") {
      const { text, attachments } = splitContent(event.content);
      const named = attachments.map((a) => `[attached ${a.kind}: ${a.title ?? a.mediaType}]`);
      out.push({ role: "user", text: [text, ...named].filter(Boolean).join(" ") });
    } else if (event.type === "agent.message") {
      const text = Array.isArray(event.content) ? contentText(event.content as TextContent) : "";
      const last = out.at(-1);
      if (last?.role === "assistant") last.text += text;
      else out.push({ role: "assistant", text });
    }
  }
  return out.filter((entry) => entry.text.length > 0);
}

/**
 * The images and documents of the conversation so far, oldest first. A CLI that replaces a lost one
 * (a new sandbox, no conversation of its own to resume) gets them with its first prompt, beside the
 * history text that names them, as its own multimodal input (docs/sessions.md "Attachments").
 */
export function historyAttachments(stored: StoredEvent[]): Attachment[] {
  return stored.filter((event) => event.type === "user.message").flatMap((event) => splitContent(event.content).attachments);
}

async function* commands(stream: ReadableStream<Uint8Array>): AsyncGenerator<Command> {
  for await (const line of lines(stream)) {
    try {
      yield JSON.parse(line) as Command;
    } catch {
      console.error(`bad command line: ${line.slice(0, 200)}`);
    }
  }
}

export async function runStdioHarness(name: HarnessName): Promise<void> {
  const out = (event: HarnessEvent) => process.stdout.write(`${JSON.stringify(event)}\n`);
  let adapter: RunningHarness | undefined;
  let configure: Configure | undefined;
  let history: HistoryEntry[] = [];
  /** Earlier attachments, sent with the first prompt when the history is replayed (not when the CLI resumes). */
  let pendingAttachments: Attachment[] = [];
  let home = "";
  /** The adapter being made is a warm pre-start's (`start` command). */
  let prestarting = false;
  const idFile = () => join(home, ".lap-conversation-id");

  const ensureAdapter = (): RunningHarness => {
    if (adapter) return adapter;
    if (!configure) throw new Error("harness is not bound to a session yet");
    // The CLI's own state outlives this process (a restart resumes the same conversation).
    home = process.env.LAP_HARNESS_HOME ?? join(tmpdir(), "lap-harness-home", configure.sessionId.replace(/[^\w-]/g, "_"));
    mkdirSync(home, { recursive: true });
    // Rules and skills where this CLI reads them, before it starts (docs/skills.md).
    writeHarnessContext(name, home, configure.context);
    const resumeId = existsSync(idFile()) ? readFileSync(idFile(), "utf8").trim() || undefined : undefined;
    adapter = createHarnessAdapter(name, {
      workspace: configure.workspace,
      home,
      gatewayUrl: configure.gatewayBaseUrl.replace(/\/+$/, "").replace(/\/v1$/, ""),
      apiKey: configure.gatewayKey,
      model: configure.model,
      mcpServers: configure.mcp?.servers,
      approvalRequiredTools: configure.approvalRequiredTools,
      systemPrompt: configure.systemPrompt,
      mcpStartTimeoutMs: configure.mcpStartTimeoutMs,
      prestart: prestarting,
      resumeId,
      // With a resumable conversation the CLI already has the history; otherwise replay it.
      history: resumeId ? undefined : history,
    });
    if (resumeId || !history.length) pendingAttachments = [];
    return adapter;
  };

  const shutdown = async () => {
    await adapter?.stop().catch(() => undefined);
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown());
  process.on("SIGINT", () => void shutdown());

  for await (const command of commands(Bun.stdin.stream() as ReadableStream<Uint8Array>)) {
    if (command.type === "configure") configure = command.config;
    else if (command.type === "history") {
      history = historyFromEvents(command.events);
      pendingAttachments = historyAttachments(command.events);
    } else if (command.type === "interrupt") void adapter?.interrupt();
    else if (command.type === "bound") {
      // Not awaited: the adapter's next turn waits for it, and commands keep flowing meanwhile.
      void adapter?.bound?.().catch((error: Error) => console.error(`after the bind: ${error.message}`));
    } else if (command.type === "start") {
      // A warm pre-start (harness/protocol.ts): the CLI up before any turn; a failure is the first turn's to report.
      try {
        prestarting = true;
        const running = ensureAdapter();
        prestarting = false;
        await running.start();
        await running.warmUp?.();
        out({ type: "harness.prepared", ok: true, connectsMcpAtBind: typeof running.bound === "function" } as unknown as HarnessEvent);
      } catch (error) {
        adapter = undefined;
        out({ type: "harness.prepared", ok: false, error: (error as Error).message } as unknown as HarnessEvent);
      }
    } else {
      let running: RunningHarness;
      try {
        running = ensureAdapter();
      } catch (error) {
        out({ type: "session.error", error: { code: "harness_start_failed", message: (error as Error).message } });
        continue;
      }
      let result: Promise<TurnResult>;
      if (command.type === "turn") {
        const { text, attachments } = splitContent(command.content);
        result = running.send(text, out, [...pendingAttachments, ...attachments]);
        pendingAttachments = [];
      } else if (running.confirm) result = running.confirm(command.confirmation, out);
      else {
        // This CLI decides on its own tools (Codex: only Claude Code and opencode ask, see docs/approvals.md).
        out({ type: "session.status_running" });
        out({ type: "session.error", error: { code: "harness_failed", message: "this harness does not ask for tool approvals" } });
        continue;
      }
      void result
        .then(() => {
          if (running.conversationId) writeFileSync(idFile(), running.conversationId);
        })
        .catch((error: Error) => out({ type: "session.error", error: { code: "harness_failed", message: error.message } }));
    }
  }
  await shutdown();
}
