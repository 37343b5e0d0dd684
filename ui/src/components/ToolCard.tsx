import { createSignal, Show } from "solid-js";
import type { ApprovalView } from "../lib/api";
import { ApprovalCard, ApprovalOutcome } from "./ApprovalCard";
import { ToolCall } from "./ToolCall";

/** A tool call as the chat shows it (folded from its agent.tool_use and agent.tool_result events). */
export interface ToolItem {
  seq: number;
  name: string;
  input: unknown;
  result?: unknown;
  isError?: boolean;
  id?: string;
  /** The call asked a person first (evaluated_permission "ask"). */
  ask?: boolean;
  /** created_at of the tool_use and of its result: the call's duration. */
  startedAt?: string;
  endedAt?: string;
}

/** "850 ms", "4.2 s", "2 min 5 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** Lines of a result: a string, or content parts ([{type:"text", text}]) as the harnesses send them. */
const lineCount = (v: unknown): number =>
  typeof v === "string"
    ? v.split("\n").length
    : Array.isArray(v)
      ? v.reduce(
          (n: number, p) => n + (p && typeof p === "object" && "text" in p ? String((p as { text: unknown }).text).split("\n").length : 1),
          0,
        )
      : JSON.stringify(v ?? "").split("\n").length;

/**
 * One tool call in the chat: its name, how it ended (ok or error) and how long it took, a person's
 * decision when it asked for one, and its output, which folds away (long output starts folded; an
 * error's output starts open).
 */
export function ToolCard(props: { tool: ToolItem; approval?: ApprovalView; onDecided: (a: ApprovalView) => void }) {
  const t = () => props.tool;
  // Asked and not answered: waiting, whatever else the log says, until a person decides.
  const waiting = () => t().ask && t().result === undefined && (!props.approval || props.approval.status === "pending");
  const done = () => t().result !== undefined;
  const duration = () => (t().startedAt && t().endedAt ? Date.parse(t().endedAt!) - Date.parse(t().startedAt!) : null);
  const [folded, setFolded] = createSignal<boolean | null>(null);
  const isFolded = () => folded() ?? (done() && !t().isError && lineCount(t().result) > 12);
  return (
    <div class="card tool-card" data-testid="tool-card" classList={{ "tool-card-error": !!t().isError }}>
      <div class="tool-card-head">
        <strong>{t().name}</strong>
        <Show when={!done() && !waiting()}>
          <span class="muted">running…</span>
        </Show>
        <Show when={waiting()}>
          <span class="badge warn" data-testid="tool-waiting">
            waiting for a decision
          </span>
        </Show>
        <Show when={done()}>
          <span class={`badge ${t().isError ? "err" : "ok"}`} data-testid="tool-status">
            {t().isError ? "error" : "ok"}
          </span>
        </Show>
        <Show when={duration() !== null}>
          <span class="muted" data-testid="tool-duration" title="From the call to its result">
            {formatDuration(duration()!)}
          </span>
        </Show>
        <Show when={props.approval?.status !== "pending" && props.approval}>{(a) => <ApprovalOutcome approval={a()} />}</Show>
        <Show when={done()}>
          <button
            type="button"
            class="btn ghost sm tool-fold"
            aria-expanded={!isFolded()}
            data-testid="tool-fold"
            onClick={() => setFolded(!isFolded())}
          >
            {isFolded() ? "Show output" : "Hide output"}
          </button>
        </Show>
      </div>
      {/* Commands with their output, file writes and edits as diffs, for every harness's tool names. */}
      <ToolCall
        use={{ name: t().name, input: t().input }}
        result={done() ? { content: t().result, is_error: t().isError } : undefined}
        folded={isFolded()}
      />
      <Show when={props.approval?.status === "pending" && props.approval}>
        {(a) => <ApprovalCard approval={a()} onDecided={props.onDecided} showInput={false} />}
      </Show>
    </div>
  );
}
