import { A, useParams } from "@solidjs/router";
import { createMemo, createResource, createSignal, For, onCleanup, Show } from "solid-js";
import { ChatComposer } from "../components/ChatComposer";
import { ChatItemView } from "../components/ChatItem";
import { EditableTitle } from "../components/EditableTitle";
import { ConfirmDialog } from "../components/forms";
import { SessionStatusBadge } from "../components/SessionStatus";
import { createSessionUsage } from "../components/TurnUsage";
import { toast } from "../components/ui";
import { WorkspaceFiles } from "../components/WorkspaceFiles";
import { api, ApiError, type ApprovalView, type StoredEvent } from "../lib/api";
import { queuedTurns, toItems } from "../lib/chat-items";
import { openLiveSource } from "../lib/live-source";
import { createSessionStatusStream } from "../lib/session-status-stream";
import { usePageTitle } from "../lib/shortcuts";

/** The chat view: streams the session live over SSE and resumes from the last seq on reconnect. */
export function SessionChat() {
  const params = useParams();
  // A failed re-read (LAP restarting) keeps what is shown instead of putting the resource in error.
  // A session that does not exist for this caller (another team's, or deleted) says so instead of a chat.
  const [missing, setMissing] = createSignal("");
  const [session, { refetch, mutate }] = createResource<Awaited<ReturnType<typeof api.sessions.get>> | undefined, string>(
    () => params.id,
    (id, { value }) =>
      api.sessions.get(id).catch((err) => {
        if (value) return value;
        if (err instanceof ApiError && err.status === 404) return (setMissing(err.message), undefined);
        return Promise.reject(err);
      }),
  );
  // The session's sandbox, when it runs in one (admin only; others simply do not see the badge).
  const [sandbox, { refetch: refetchSandbox }] = createResource(
    () => params.id,
    (id) =>
      api.sandboxes
        .list(id)
        .then((l) => l[0] ?? null)
        .catch(() => null),
  );
  const [events, setEvents] = createSignal<StoredEvent[]>([]);
  // The agent's model, for the error box's link to its row on Models & providers.
  const [agent] = createResource(
    () => session()?.agent_id ?? undefined,
    (id) => api.agents.get(id).catch(() => null),
  );
  usePageTitle(() => session() && (session()!.title || `Session with ${session()!.agent_name ?? "a deleted agent"}`));
  // Tool calls that asked for a decision (re-read when the log says something changed).
  const [approvals, { refetch: refetchApprovals, mutate: setApprovals }] = createResource<ApprovalView[], string>(
    () => params.id,
    (id, { value }) =>
      api.approvals.list({ session_id: id }).then(
        (l) => l.data,
        (err) => (value ? value : Promise.reject(err)),
      ),
  );
  // By the seq of the agent.tool_use that asked: a provider may reuse its tool-call ids (call_0 in every
  // response), so the id alone could pick another call's approval (docs/approvals.md).
  const approvalFor = (askSeq: number) => approvals()?.find((a) => a.event_seq === askSeq);
  const decided = (a: ApprovalView) => setApprovals((all) => (all ?? []).map((x) => (x.id === a.id ? a : x)));
  const [connection, setConnection] = createSignal<"connecting" | "live" | "reconnecting">("connecting");
  const [inspector, setInspector] = createSignal(false);
  const [filesOpen, setFilesOpen] = createSignal(false);
  let lastSeq = 0;
  let bottom: HTMLDivElement | undefined;

  const usage = createSessionUsage(() => params.id);
  // What a live event makes stale is re-read once per burst, never once per event (issue 24, item 9:
  // a 56-event session used to fire 32 requests while it opened).
  const stale = { session: false, approvals: false, usage: false };
  let refreshTimer: ReturnType<typeof setTimeout> | undefined;
  const refreshSoon = () => {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => {
      if (stale.session) {
        refetch();
        // The badge was read when the page opened, often while the sandbox was still provisioning.
        refetchSandbox();
      }
      if (stale.approvals) refetchApprovals();
      if (stale.usage) usage.turnEnded();
      stale.session = stale.approvals = stale.usage = false;
    }, 150);
  };
  onCleanup(() => clearTimeout(refreshTimer));
  const onEvent = (m: MessageEvent<string>) => {
    const e = JSON.parse(m.data) as StoredEvent;
    if (e.seq <= lastSeq) return;
    lastSeq = e.seq;
    setEvents((all) => [...all, e]);
    if (e.type.startsWith("session.")) stale.session = true;
    if (
      e.type.startsWith("session.") ||
      e.type === "user.tool_confirmation" ||
      (e.type === "agent.tool_use" && (e.data as { evaluated_permission?: string }).evaluated_permission === "ask")
    )
      stale.approvals = true;
    if (e.type === "session.status_idle" || e.type === "session.error") stale.usage = true;
    if (stale.session || stale.approvals || stale.usage) refreshSoon();
    queueMicrotask(() => bottom?.scrollIntoView({ block: "end" }));
  };
  const EVENT_TYPES = [
    "user.message",
    "session.status_running",
    "agent.message",
    "agent.message_delta",
    "agent.thinking",
    "agent.tool_use",
    "agent.tool_result",
    "user.tool_confirmation",
    "session.status_idle",
    "session.error",
    "session.created",
    "session.ready",
    "session.recovered",
    "session.stopped",
    "session.pull_request",
    "session.context",
  ];
  // The browser resends Last-Event-ID when it reconnects by itself; a new source (after LAP was
  // down) starts from `lastSeq` in the URL. The seq check drops anything already shown.
  // The history in one request (1000 events a page), then the live stream from its last seq.
  let close = () => {};
  let closed = false;
  const loadHistory = async (id: string) => {
    for (;;) {
      const page = await api.sessions.events(id, lastSeq, 1000).catch(() => null);
      if (!page || closed) return;
      if (page.data.length) {
        lastSeq = page.data.at(-1)!.seq;
        setEvents((all) => [...all, ...page.data]);
      }
      if (page.data.length < 1000) return;
    }
  };
  void loadHistory(params.id!).then(() => {
    if (closed) return;
    queueMicrotask(() => bottom?.scrollIntoView({ block: "end" }));
    close = openLiveSource({
      url: () => api.sessions.streamUrl(params.id!, lastSeq),
      events: Object.fromEntries(EVENT_TYPES.map((t) => [t, onEvent])),
      onOpen: () => {
        // Re-read only after a reconnect: the first open comes right after the page read everything.
        if (connection() === "reconnecting") refetch();
        setConnection("live");
      },
      onError: () => setConnection("reconnecting"),
    });
  });
  // While the stream is down, the status is polled.
  const poll = setInterval(() => connection() !== "live" && refetch(), 3000);
  onCleanup(() => {
    closed = true;
    close();
    clearInterval(poll);
  });

  const items = createMemo(() => toItems(events()));
  const queued = createMemo(() => queuedTurns(events()));
  const running = () => session()?.status === "running" || session()?.status === "recovering";
  const finished = () => session()?.status === "stopped" || session()?.status === "error";

  const stopTurn = async () => {
    await api.sessions.interrupt(params.id!).catch((err) => toast((err as Error).message));
  };
  const [ending, setEnding] = createSignal(false);
  // A generated title arrives after the first turn on the status stream (docs/sessions.md "Titles").
  createSessionStatusStream({
    onOpen: () => {},
    poll: () => {},
    pollMs: 3_600_000,
    onChange: (c) => {
      const s = session.latest;
      if (s && c.id === s.id && c.title !== undefined && c.title !== s.title) mutate({ ...s, title: c.title });
    },
  });

  return (
    <Show
      when={!missing()}
      fallback={
        <div class="page">
          <div class="alert" role="alert">
            {missing()}. It may have been deleted, or belong to a team you are not in.
          </div>
        </div>
      }
    >
      <div class="page chat-page">
        <div class="page-head">
          <div>
            <EditableTitle session={session()} fallback={session()?.agent_name || "Session"} onRenamed={(s) => mutate(s)} />
            <p>
              <Show when={session()?.agent_id}>
                <A href={`/agents/${session()!.agent_id}`}>{session()!.agent_name}</A> ·{" "}
              </Show>
              <Show
                when={session()}
                fallback={
                  <span class="badge" data-testid="chat-status">
                    …
                  </span>
                }
              >
                {(s) => <SessionStatusBadge session={s()} testId="chat-status" />}
              </Show>{" "}
              <Show when={sandbox()}>
                {(sb) => (
                  <>
                    <A
                      href="/sandboxes"
                      class="badge"
                      data-testid="session-sandbox"
                      title={`sandbox ${sb().id}, workspace ${sb().workspace_id}`}
                    >
                      sandbox · {sb().provider} · {sb().state}
                    </A>{" "}
                  </>
                )}
              </Show>
              <span class={`badge ${connection() === "live" ? "ok" : "warn"}`} data-testid="connection">
                {connection() === "live" ? "live" : connection() === "connecting" ? "connecting…" : "reconnecting…"}
              </span>
            </p>
          </div>
          <div>
            <button class="btn" onClick={() => setFilesOpen(!filesOpen())} aria-pressed={filesOpen()}>
              Files
            </button>{" "}
            <button class="btn" onClick={() => setInspector(!inspector())} aria-pressed={inspector()}>
              Inspector
            </button>{" "}
            <Show when={running()}>
              <button class="btn danger" onClick={stopTurn}>
                Stop
              </button>
            </Show>{" "}
            <Show when={!finished()}>
              <button class="btn" onClick={() => setEnding(true)}>
                End session
              </button>
            </Show>
          </div>
        </div>
        <Show when={ending()}>
          <ConfirmDialog
            title="End this session?"
            confirmLabel="End session"
            action={async () => {
              await api.sessions.stop(params.id!);
            }}
            onClose={() => setEnding(false)}
            onDone={refetch}
            dependents={{
              label: "Tool calls waiting for a decision",
              load: async () =>
                (await api.approvals.list({ session_id: params.id!, status: "pending" })).data.map((a) => ({
                  name: a.tool_name,
                  note: "expires",
                })),
              none: "None.",
            }}
          >
            A running turn stops, its sandbox ends and no more messages can be sent. The conversation stays readable.
          </ConfirmDialog>
        </Show>
        <div
          class="chat-layout"
          style={{ display: "grid", "grid-template-columns": inspector() || filesOpen() ? "1fr 420px" : "1fr", gap: "16px" }}
        >
          <div class="chat" data-testid="chat">
            <For each={items()}>
              {(item) => (
                <ChatItemView
                  item={item}
                  sessionId={params.id!}
                  queued={queued()}
                  approvalFor={approvalFor}
                  onDecided={decided}
                  usageRows={usage.rows()}
                  model={agent()?.model ?? undefined}
                />
              )}
            </For>
            <Show when={running()}>
              <div class="muted typing" data-testid="typing">
                Agent is working…
              </div>
            </Show>
            <div ref={bottom} />
            <ChatComposer sessionId={params.id!} finished={finished()} onSent={refetch} />
          </div>
          <Show when={inspector() || filesOpen()}>
            <div style={{ display: "flex", "flex-direction": "column", gap: "16px" }}>
              <Show when={filesOpen()}>
                <WorkspaceFiles sessionId={params.id!} />
              </Show>
              <Show when={inspector()}>
                <div class="card inspector" data-testid="inspector">
                  <For each={events()}>
                    {(e) => (
                      <details>
                        <summary class="mono">
                          #{e.seq} {e.type}
                        </summary>
                        <pre>{JSON.stringify(e, null, 2)}</pre>
                      </details>
                    )}
                  </For>
                </div>
              </Show>
            </div>
          </Show>
        </div>
      </div>
    </Show>
  );
}
