import { createSignal, Show } from "solid-js";
import { api, ApiError, type ApprovalView } from "../lib/api";
import { ToolCall } from "./ToolCall";
import { toast } from "./ui";

const who = (by: string | null) => (by?.startsWith("slack:") ? `${by.slice(6)} in Slack` : (by ?? "someone"));

/** The outcome of a decided approval, as a badge. */
export function ApprovalOutcome(props: { approval: ApprovalView }) {
  const a = () => props.approval;
  return (
    <span class={`badge ${a().status === "allowed" ? "ok" : a().status === "denied" ? "err" : "warn"}`} data-testid="approval-outcome">
      {a().status === "expired"
        ? `approval expired${a().message ? ` (${a().message})` : ""}`
        : `${a().status} by ${who(a().decided_by)}${a().message ? `: ${a().message}` : ""}`}
    </span>
  );
}

/**
 * A tool call waiting for a person: what it would do, an optional message, Allow / Deny.
 * A 409 (someone decided first) shows who did instead of an error.
 */
export function ApprovalCard(props: { approval: ApprovalView; onDecided: (a: ApprovalView) => void; showInput?: boolean }) {
  const [message, setMessage] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const decide = async (decision: "allow" | "deny") => {
    setBusy(true);
    try {
      const r = await api.approvals.decide(props.approval.id, decision, message().trim() || undefined);
      props.onDecided(r.approval);
    } catch (err) {
      toast((err as Error).message);
      if (err instanceof ApiError && err.status === 409)
        props.onDecided(
          await api.approvals
            .list({ session_id: props.approval.session_id })
            .then((l) => l.data.find((x) => x.id === props.approval.id) ?? props.approval),
        );
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="approval-card" role="group" aria-label={`Approval for ${props.approval.tool_name}`} data-testid="approval-card">
      <div class="approval-head">
        <span class="badge warn">approval needed</span> The agent wants to use <code>{props.approval.tool_name}</code>
      </div>
      <Show when={props.showInput !== false}>
        <ToolCall use={{ name: props.approval.tool_name, input: props.approval.input }} />
      </Show>
      <form class="approval-actions" onSubmit={(e) => e.preventDefault()}>
        <input
          aria-label="Message for the agent"
          placeholder="Message for the agent (optional; sent with a denial)"
          value={message()}
          onInput={(e) => setMessage(e.currentTarget.value)}
          maxLength={2000}
        />
        <button type="button" class="btn primary" disabled={busy()} onClick={() => decide("allow")}>
          Allow
        </button>
        <button type="button" class="btn danger" disabled={busy()} onClick={() => decide("deny")}>
          Deny
        </button>
      </form>
    </div>
  );
}
