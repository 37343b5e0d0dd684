import { A, useNavigate, useSearchParams } from "@solidjs/router";
import { AttachButton, blockOf, MAX_FILES, PendingAttachments, readFiles, type Pending } from "../components/Attachments";
import { createResource, createSignal, For, onCleanup, Show } from "solid-js";
import { createSessionStatusStream } from "../lib/session-status-stream";
import { SessionStatusBadge } from "../components/SessionStatus";
import { ListCard } from "../components/list-card";
import { toast } from "../components/ui";
import { api, ApiError, type SessionListItem, type SessionStatusChange, usd } from "../lib/api";
import { timeAgo } from "../lib/format";
import { useCreate } from "../lib/shortcuts";
import { SessionSearch } from "../components/SessionSearch";

/** Sessions: launcher (agent + first message) and the list with live status. `?agent=id` preselects the agent. */
export function Sessions() {
  const [params] = useSearchParams();
  // `c` (and `?new=1`): a session starts from its first message.
  useCreate(() => document.querySelector<HTMLInputElement>('[data-testid="session-launcher"] input[aria-label="First message"]')?.focus());
  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1>Sessions</h1>
          <p>Conversations with agents. Every event is stored and streamed live.</p>
        </div>
      </div>
      <SessionLauncher preselect={typeof params.agent === "string" ? params.agent : undefined} />
      <SessionSearch>
        <SessionTable />
      </SessionSearch>
    </div>
  );
}

/**
 * The start box: an agent (fixed on an agent's own page) and a first message. On an agent's page the
 * empty sessions list says "Start one above", so the box is there too.
 */
export function SessionLauncher(props: { agentId?: string; preselect?: string }) {
  const navigate = useNavigate();
  const [agents] = createResource(() => (props.agentId ? Promise.resolve([]) : api.agents.list()));
  const [agentId, setAgentId] = createSignal(props.preselect ?? "");
  const [prompt, setPrompt] = createSignal("");
  // Images and documents sent with the first message (docs/sessions.md "Attachments").
  const [pending, setPending] = createSignal<Pending[]>([]);
  const [error, setError] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const chosen = () => props.agentId ?? (agentId() || (agents()?.[0]?.id ?? ""));
  const start = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      const s = await api.sessions.create({ agent_id: chosen(), prompt: prompt() || undefined }, pending().map(blockOf));
      navigate(`/sessions/${s.id}`);
    } catch (err) {
      setError(
        err instanceof ApiError && err.fields.length
          ? err.fields.map((f) => `${f.field}: ${f.message}`).join("; ")
          : (err as Error).message,
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card card-pad launcher" data-testid="session-launcher" onSubmit={start}>
      <div class="launcher-row">
        <Show when={!props.agentId}>
          <select aria-label="Agent" value={agentId()} onChange={(e) => setAgentId(e.currentTarget.value)}>
            <For each={agents() ?? []}>
              {(a) => (
                <option value={a.id} selected={a.id === agentId()}>
                  {a.name}
                </option>
              )}
            </For>
          </select>
        </Show>
        <input
          aria-label="First message"
          placeholder="What should the agent do?"
          value={prompt()}
          onInput={(e) => setPrompt(e.currentTarget.value)}
        />
        <AttachButton
          disabled={busy()}
          onFiles={async (picked) => {
            const read = await readFiles(picked.slice(0, MAX_FILES - pending().length), setError);
            setPending((p) => [...p, ...read]);
          }}
        />
        <button class="btn primary" type="submit" disabled={busy() || !chosen()}>
          {busy() ? "Starting…" : "Start session"}
        </button>
      </div>
      <PendingAttachments items={pending()} onRemove={(i) => setPending((p) => p.filter((_, j) => j !== i))} />
      <Show when={!props.agentId && !agents.loading && !(agents() ?? []).length}>
        <span class="muted">
          Create an agent first (<A href="/agents">Agents</A>).
        </span>
      </Show>
      <Show when={error()}>
        <span class="field-error">{error()}</span>
      </Show>
    </form>
  );
}

/**
 * Sessions list with live status: status changes are pushed over SSE (any replica's) and patched
 * into the rows at once; the first page is re-read shortly after (new sessions, event counts).
 * If the stream is down, the list polls until it is back. Optionally one agent's sessions.
 */
export function SessionTable(props: { agentId?: string }) {
  const [page, { refetch, mutate }] = createResource(() => api.sessions.list({ agent_id: props.agentId }));
  const [more, setMore] = createSignal<SessionListItem[]>([]);
  const [cursor, setCursor] = createSignal<string | null | undefined>(undefined);
  let refresh: ReturnType<typeof setTimeout> | undefined;
  const refetchSoon = () => {
    clearTimeout(refresh);
    refresh = setTimeout(() => refetch(), 300);
  };
  onCleanup(() => clearTimeout(refresh));
  const patch = (list: SessionListItem[], c: SessionStatusChange) =>
    c.op === "delete"
      ? list.filter((s) => s.id !== c.id)
      : list.map((s) =>
          s.id === c.id ? { ...s, status: c.status, error: c.error, updated_at: c.updated_at, title: c.title ?? s.title } : s,
        );
  const live = createSessionStatusStream({
    agentId: props.agentId,
    onOpen: () => refetch(),
    poll: () => refetch(),
    onChange: (c) => {
      const current = page.latest;
      if (current) mutate({ ...current, data: patch(current.data, c) });
      setMore(patch(more(), c));
      refetchSoon();
    },
  });
  const rows = () => [...(page.latest?.data ?? []), ...more()];
  const next = () => (cursor() === undefined ? page.latest?.next_cursor : cursor());
  const loadMore = async () => {
    const c = next();
    if (!c) return;
    try {
      const res = await api.sessions.list({ agent_id: props.agentId, cursor: c });
      setMore([...more(), ...res.data]);
      setCursor(res.next_cursor);
    } catch (err) {
      toast((err as Error).message);
    }
  };
  return (
    <>
      <ListCard
        items={page}
        rows={rows}
        loading={page.loading && !page.latest}
        retry={refetch}
        colCount={6}
        columns={
          <>
            <th>Session</th>
            <th>Agent</th>
            <th>
              Status{" "}
              <span
                class={`badge live-badge ${live() === "live" ? "ok" : "warn"}`}
                data-testid="sessions-live"
                title={
                  live() === "polling"
                    ? "The live stream is down; refreshing every few seconds until it is back"
                    : "Statuses update as they change"
                }
              >
                <span class="dot" />
                {live() === "live" ? "live" : live() === "connecting" ? "connecting…" : "polling"}
              </span>
            </th>
            <th>Events</th>
            <th title="Total cost of the session's model calls through LAP's gateway">Cost</th>
            <th>Updated</th>
          </>
        }
        empty={{ title: "No sessions yet", text: "Start one above, or from Slack or the API." }}
      >
        <For each={rows()}>
          {(s) => (
            <tr data-testid="session-row">
              <td>
                <A href={`/sessions/${s.id}`}>{s.title || s.id}</A>
              </td>
              <td>{s.agent_name ?? <span class="muted">deleted</span>}</td>
              <td>
                <SessionStatusBadge session={s} testId="session-status" />
              </td>
              <td>{s.last_seq}</td>
              <td data-testid="session-cost">{usd(s.spend)}</td>
              <td>{timeAgo(s.updated_at)}</td>
            </tr>
          )}
        </For>
      </ListCard>
      <Show when={next()}>
        <button class="btn" style={{ "margin-top": "8px" }} onClick={loadMore}>
          Load more
        </button>
      </Show>
    </>
  );
}
