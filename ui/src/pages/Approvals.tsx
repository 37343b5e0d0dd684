import { A } from "@solidjs/router";
import { createResource, createSignal, For, onCleanup, Show } from "solid-js";
import { ApprovalCard, ApprovalOutcome } from "../components/ApprovalCard";
import { api, type ApprovalView } from "../lib/api";
import { timeAgo } from "../lib/format";
import { createSessionNames } from "../lib/session-names";

/** Tool calls agents asked a person about: the pending ones to decide, oldest first, and the recent decisions. */
export function Approvals() {
  const [status, setStatus] = createSignal<ApprovalView["status"] | "">("pending");
  const [list, { refetch, mutate }] = createResource(status, (s) => api.approvals.list(s ? { status: s } : {}).then((l) => l.data));
  const poll = setInterval(() => refetch(), 4000);
  onCleanup(() => clearInterval(poll));
  const sessionName = createSessionNames();
  const decided = (a: ApprovalView) => mutate((all) => (all ?? []).map((x) => (x.id === a.id ? a : x)));
  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1>Approvals</h1>
          <p>
            Tool calls waiting for a person. Agents ask for the tools listed under "Ask before using" on the agent; Slack threads get the
            same Allow / Deny buttons.
          </p>
        </div>
        <label class="field" style={{ "min-width": "160px" }}>
          Show
          <select aria-label="Status" value={status()} onChange={(e) => setStatus(e.currentTarget.value as ApprovalView["status"] | "")}>
            <option value="pending">Pending</option>
            <option value="">All</option>
            <option value="allowed">Allowed</option>
            <option value="denied">Denied</option>
            <option value="expired">Expired</option>
          </select>
        </label>
      </div>
      <Show when={list() && list()!.length === 0}>
        <div class="card card-pad muted" data-testid="approvals-empty">
          Nothing {status() === "pending" ? "waiting for a decision" : "here"}.
        </div>
      </Show>
      <div style={{ display: "grid", gap: "10px" }}>
        <For each={list()}>
          {(a) => (
            <div class="card card-pad" data-testid="approval-row">
              <div class="muted">
                Session{" "}
                <A href={`/sessions/${a.session_id}`} title={a.session_id} data-testid="approval-session">
                  {sessionName(a.session_id)}
                </A>{" "}
                · asked {timeAgo(a.created_at)}{" "}
                <Show when={a.status !== "pending"}>
                  <ApprovalOutcome approval={a} />
                </Show>
              </div>
              <Show
                when={a.status === "pending"}
                fallback={
                  <div>
                    <code>{a.tool_name}</code> <span class="mono muted">{JSON.stringify(a.input).slice(0, 200)}</span>
                  </div>
                }
              >
                <ApprovalCard approval={a} onDecided={decided} />
              </Show>
            </div>
          )}
        </For>
      </div>
    </div>
  );
}
