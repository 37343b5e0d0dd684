import { A, useParams } from "@solidjs/router";
import { ToolCard, type ToolItem } from "../components/ToolCard";
import { createSessionUsage, TurnUsage } from "../components/TurnUsage";
import { createMemo, createResource, createSignal, For, Match, onCleanup, Show, Switch } from "solid-js";
import { WorkspaceFiles } from "../components/WorkspaceFiles";
import { ConfirmDialog } from "../components/forms";
import { toast } from "../components/ui";
import { api, ApiError, type ApprovalView, type StoredEvent } from "../lib/api";
import { openLiveSource } from "../lib/live-source";
import { renderMarkdown } from "../lib/markdown";
import { SessionStatusBadge } from "../components/SessionStatus";
import { usePageTitle } from "../lib/shortcuts";
import {
  AttachButton,
  blockOf,
  MAX_FILES,
  MessageAttachments,
  PendingAttachments,
  readFiles,
  type Pending,
} from "../components/Attachments";
import { EditableTitle } from "../components/EditableTitle";
import { createSessionStatusStream } from "../lib/session-status-stream";

type Item =
  | { kind: "user"; seq: number; text: string; turnId: string | null; content: unknown }
  | { kind: "assistant"; seq: number; text: string; messageId?: string; incomplete?: boolean }
  | { kind: "thinking"; seq: number; text: string }
  | ({ kind: "tool" } & ToolItem)
  | { kind: "turn"; seq: number; start: string; end: string }
  | { kind: "error"; seq: number; text: string }
  | { kind: "note"; seq: number; text: string; reattached?: boolean }
  | { kind: "pull_request"; seq: number; url: string; title: string | null; repository: string | null; number: number | null };

const textOf = (content: unknown) =>
  Array.isArray(content) ? content.map((p) => (p && typeof p === "object" && "text" in p ? String(p.text) : "")).join("") : "";

/**
 * Folds the event log into chat items. A message streams in as `agent.message_delta` pieces and then
 * arrives whole as one `agent.message` with the same message_id, which replaces them
 * (docs/sessions.md "Messages and deltas"); messages without an id that follow each other read as one reply.
 */
function toItems(events: StoredEvent[]): Item[] {
  const items: Item[] = [];
  let turnStart: string | null = null;
  const byMessage = new Map<string, Extract<Item, { kind: "assistant" }>>();
  for (const e of events) {
    // biome-ignore lint/suspicious/noExplicitAny: event data differs per event type; read per type below
    const d = e.data as Record<string, any>;
    const last = items.at(-1);
    switch (e.type) {
      case "user.message":
        items.push({ kind: "user", seq: e.seq, text: textOf(d.content), turnId: e.turn_id, content: d.content });
        break;
      case "agent.message_delta": {
        const reply = byMessage.get(d.message_id);
        // `restarted`: the agent tried the model step again after LAP came back; its text starts over.
        if (reply) reply.text = d.restarted ? "" : reply.text + (d.text ?? "");
        else {
          const item = { kind: "assistant" as const, seq: e.seq, text: d.text ?? "", messageId: d.message_id };
          byMessage.set(d.message_id, item);
          items.push(item);
        }
        break;
      }
      case "agent.message": {
        const streamed = typeof d.message_id === "string" ? byMessage.get(d.message_id) : undefined;
        if (streamed) {
          streamed.text = textOf(d.content);
          streamed.incomplete = d.incomplete === true;
          break;
        }
        if (typeof d.message_id === "string") {
          const item = {
            kind: "assistant" as const,
            seq: e.seq,
            text: textOf(d.content),
            messageId: d.message_id,
            incomplete: d.incomplete === true,
          };
          byMessage.set(d.message_id, item);
          items.push(item);
          break;
        }
        // A reply that LAP re-attached after a restart reads as one reply; the note stays under it.
        const reply =
          last?.kind === "assistant"
            ? last
            : last?.kind === "note" && last.reattached && items.at(-2)?.kind === "assistant"
              ? items.at(-2)
              : undefined;
        if (reply?.kind === "assistant" && reply.messageId === undefined) reply.text += textOf(d.content);
        else items.push({ kind: "assistant", seq: e.seq, text: textOf(d.content) });
        break;
      }
      case "agent.thinking":
        if (last?.kind === "thinking") last.text += d.thinking ?? "";
        else items.push({ kind: "thinking", seq: e.seq, text: d.thinking ?? "" });
        break;
      case "agent.tool_use":
        items.push({
          kind: "tool",
          seq: e.seq,
          name: d.name,
          input: d.input,
          id: d.id,
          ask: d.evaluated_permission === "ask",
          startedAt: e.created_at,
        });
        break;
      case "agent.tool_result": {
        const call = [...items]
          .reverse()
          .find((i) => i.kind === "tool" && (i.id === undefined || i.id === d.tool_use_id) && i.result === undefined) as
          | Extract<Item, { kind: "tool" }>
          | undefined;
        if (call) Object.assign(call, { result: d.content ?? d.output, isError: d.is_error, endedAt: e.created_at });
        else items.push({ kind: "tool", seq: e.seq, name: d.name ?? "tool", input: undefined, result: d.content, isError: d.is_error });
        break;
      }
      case "session.status_running":
        turnStart ??= e.created_at;
        break;
      case "session.error":
        items.push({ kind: "error", seq: e.seq, text: d.error?.message ?? "error" });
        if (turnStart) items.push({ kind: "turn", seq: e.seq, start: turnStart, end: e.created_at });
        turnStart = null;
        break;
      case "session.status_idle":
        // A turn's usage line goes where it ended (a pause for a decision ends it too).
        if (turnStart) items.push({ kind: "turn", seq: e.seq, start: turnStart, end: e.created_at });
        turnStart = null;
        if (d.stop_reason?.type === "interrupted") items.push({ kind: "note", seq: e.seq, text: "Turn stopped" });
        else if (d.stop_reason?.type === "requires_action")
          items.push({ kind: "note", seq: e.seq, text: "Paused for a person to allow or deny the tool call above" });
        break;
      case "session.recovered":
        items.push({
          kind: "note",
          seq: e.seq,
          text: d.sandbox_id
            ? `Sandbox replaced (${d.reason ?? "it stopped"}); workspace and conversation restored`
            : "LAP restarted; the turn was re-attached",
          reattached: !d.sandbox_id,
        });
        break;
      case "session.stopped":
        items.push({ kind: "note", seq: e.seq, text: `Session stopped (${d.reason ?? "stopped"})` });
        break;
      case "session.pull_request":
        // Read by LAP from GitHub's answer (docs/github.md); only http(s) links are shown.
        if (/^https?:\/\//.test(String(d.url)))
          items.push({
            kind: "pull_request",
            seq: e.seq,
            url: String(d.url),
            title: d.title ?? null,
            repository: d.repository ?? null,
            number: d.number ?? null,
          });
        break;
      case "session.context": {
        // What the harness was given at start (docs/skills.md): names and versions.
        const list = (xs: Array<{ name: string; version: number }> | undefined) =>
          (xs ?? []).map((x) => `${x.name} v${x.version}`).join(", ");
        const parts = [d.rules?.length ? `rules: ${list(d.rules)}` : "", d.skills?.length ? `skills: ${list(d.skills)}` : ""].filter(
          Boolean,
        );
        items.push({ kind: "note", seq: e.seq, text: `Given to the agent: ${parts.join("; ")}` });
        break;
      }
    }
  }
  return items;
}

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
  const [text, setText] = createSignal("");
  const [interrupt, setInterrupt] = createSignal(false);
  const [attached, setAttached] = createSignal<Pending[]>([]);
  const attach = async (files: Iterable<File>) => {
    const read = await readFiles(files, toast);
    setAttached((all) => [...all, ...read].slice(0, MAX_FILES));
  };
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
  /** Turns whose runtime has not sent anything yet: their user messages are still queued. */
  const queuedTurns = createMemo(() => {
    const started = new Set(
      events()
        .filter((e) => e.type !== "user.message" && e.turn_id)
        .map((e) => e.turn_id),
    );
    return new Set(
      events()
        .filter((e) => e.type === "user.message" && !started.has(e.turn_id))
        .map((e) => e.turn_id),
    );
  });
  const running = () => session()?.status === "running" || session()?.status === "recovering";
  const finished = () => session()?.status === "stopped" || session()?.status === "error";

  const send = async (e: Event) => {
    e.preventDefault();
    if (!text().trim() && !attached().length) return;
    try {
      await api.sessions.send(params.id!, text(), interrupt(), attached().map(blockOf));
      setText("");
      setAttached([]);
      setInterrupt(false);
      refetch();
    } catch (err) {
      toast((err as Error).message);
    }
  };
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
                <Switch>
                  <Match when={item.kind === "user" && item}>
                    {(u) => (
                      <div class="msg user" data-testid="msg-user">
                        <div class="msg-body">{u().text}</div>
                        <MessageAttachments sessionId={params.id!} content={u().content} />
                        <Show when={queuedTurns().has(u().turnId)}>
                          <span class="badge warn" data-testid="queued">
                            queued
                          </span>
                        </Show>
                      </div>
                    )}
                  </Match>
                  <Match when={item.kind === "assistant" && item}>
                    {(a) => (
                      <>
                        <div class="msg assistant" data-testid="msg-assistant" innerHTML={renderMarkdown(a().text)} />
                        <Show when={a().incomplete}>
                          <div class="muted note" data-testid="msg-incomplete">
                            The reply was cut short
                          </div>
                        </Show>
                      </>
                    )}
                  </Match>
                  <Match when={item.kind === "thinking" && item}>
                    {(t) => (
                      <details class="msg thinking">
                        <summary>Thinking</summary>
                        <div>{t().text}</div>
                      </details>
                    )}
                  </Match>
                  <Match when={item.kind === "tool" && item}>
                    {(t) => <ToolCard tool={t()} approval={t().ask ? approvalFor(t().seq) : undefined} onDecided={decided} />}
                  </Match>
                  <Match when={item.kind === "turn" && item}>{(turn) => <TurnUsage rows={usage.rows()} turn={turn()} />}</Match>
                  <Match when={item.kind === "error" && item}>
                    {(x) => (
                      <div class="alert" role="alert" data-testid="msg-error">
                        <div>{x().text}</div>
                        <Show when={agent()?.model}>
                          {(model) => (
                            <div class="alert-help" data-testid="error-model-help">
                              The agent's model is{" "}
                              <A href={`/gateway/models?model=${encodeURIComponent(model())}`} data-testid="error-model-link">
                                {model()}
                              </A>
                              : open its row in Models &amp; providers and press <strong>Test</strong> to see whether it answers.
                            </div>
                          )}
                        </Show>
                      </div>
                    )}
                  </Match>
                  <Match when={item.kind === "note" && item}>{(n) => <div class="muted note">{n().text}</div>}</Match>
                  <Match when={item.kind === "pull_request" && item}>
                    {(pr) => (
                      <div class="note pull-request" data-testid="pull-request">
                        Pull request opened:{" "}
                        <a href={pr().url} target="_blank" rel="noopener noreferrer">
                          {pr().repository ?? "repository"}#{pr().number ?? "?"}
                          {pr().title ? ` ${pr().title}` : ""}
                        </a>
                      </div>
                    )}
                  </Match>
                </Switch>
              )}
            </For>
            <Show when={running()}>
              <div class="muted typing" data-testid="typing">
                Agent is working…
              </div>
            </Show>
            <div ref={bottom} />
            <form
              class="composer"
              onSubmit={send}
              onDragOver={(e) => e.preventDefault()}
              onDrop={(e) => {
                e.preventDefault();
                if (!finished()) void attach(e.dataTransfer?.files ?? []);
              }}
            >
              <PendingAttachments items={attached()} onRemove={(i) => setAttached((all) => all.filter((_, j) => j !== i))} />
              <textarea
                aria-label="Message"
                rows={2}
                value={text()}
                disabled={finished()}
                placeholder={finished() ? "This session has ended" : "Message the agent (Enter to send, Shift+Enter for a new line)"}
                onInput={(e) => setText(e.currentTarget.value)}
                onPaste={(e) => {
                  const files = [...(e.clipboardData?.files ?? [])];
                  if (files.length) {
                    e.preventDefault();
                    void attach(files);
                  }
                }}
                onKeyDown={(e) => {
                  if (e.key === "Enter" && !e.shiftKey) {
                    e.preventDefault();
                    e.currentTarget.form?.requestSubmit();
                  }
                }}
              />
              <div style={{ display: "flex", gap: "8px", "align-items": "center" }}>
                <label class="muted">
                  <input type="checkbox" checked={interrupt()} onChange={(e) => setInterrupt(e.currentTarget.checked)} /> interrupt the
                  current turn
                </label>
                <AttachButton disabled={finished()} onFiles={(files) => void attach(files)} />
                <button class="btn primary" type="submit" disabled={finished()}>
                  Send
                </button>
              </div>
            </form>
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
