import { Show } from "solid-js";
import type { SessionView } from "../lib/api";

type StatusOf = Pick<SessionView, "status" | "error">;

/**
 * What a session's status says to a person. `idle` with an error is a session whose last turn failed
 * (it still takes messages, but it is not healthy), and `awaiting_approval` one that waits for a
 * person to allow or deny a tool call (docs/approvals.md).
 */
export function sessionStatusLabel(s: StatusOf): { text: string; tone: "" | "ok" | "warn" | "err" | "accent"; title: string } {
  switch (s.status) {
    case "idle":
      return s.error
        ? { text: "failed", tone: "err", title: `The last turn failed: ${s.error}. Send a message to try again.` }
        : { text: "idle", tone: "ok", title: "Waiting for a message" };
    case "awaiting_approval":
      return { text: "awaiting approval", tone: "warn", title: "A tool call waits for a person to allow or deny it" };
    case "running":
      return { text: "running", tone: "accent", title: "A turn is running" };
    case "recovering":
      return { text: "recovering", tone: "warn", title: "LAP is bringing the session's runtime back" };
    case "error":
      return { text: "error", tone: "err", title: s.error ?? "The session cannot continue; start a new one" };
    default:
      return { text: s.status, tone: "", title: s.status };
  }
}

export function SessionStatusBadge(props: { session: StatusOf; testId: string }) {
  const label = () => sessionStatusLabel(props.session);
  return (
    <span class={`badge ${label().tone}`} data-testid={props.testId} data-status={props.session.status} title={label().title}>
      <Show when={props.session.status === "running" || props.session.status === "recovering"}>
        <span class="dot pulse" />
      </Show>
      {label().text}
    </span>
  );
}
