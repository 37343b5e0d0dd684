import { createResource, createSignal, For, Show } from "solid-js";
import { ListCard } from "../components/list-card";
import { api, type AuditFilter, type AuditView, type Me } from "../lib/api";
import { timeAgo } from "../lib/format";

const PAGE = 100;
/** A date input's day as the start (or the end) of that day in the browser's time zone, ISO. */
const dayBound = (day: string, end: boolean) => (day ? new Date(`${day}T00:00:00`).getTime() + (end ? 86_400_000 : 0) : NaN);
const iso = (ms: number) => (Number.isNaN(ms) ? undefined : new Date(ms).toISOString());
const show = (v: unknown) => (v === null || v === undefined ? "–" : typeof v === "string" ? v : JSON.stringify(v));

/**
 * The audit trail (docs/operations.md "Audit trail"): who changed what, newest first, filtered by
 * actor, action, object and day; a row opens to its before/after. Admins see every row, a team's
 * admins that team's; the trail is read-only.
 */
export function Audit(props: { me: Me }) {
  const [actor, setActor] = createSignal("");
  const [action, setAction] = createSignal("");
  const [objectType, setObjectType] = createSignal("");
  const [objectId, setObjectId] = createSignal("");
  const [since, setSince] = createSignal("");
  const [until, setUntil] = createSignal("");
  const [open, setOpen] = createSignal<string | null>(null);
  const [more, setMore] = createSignal<AuditView[]>([]);
  const [cursor, setCursor] = createSignal<string | null>(null);
  const filter = (): AuditFilter => ({
    actor: actor() || undefined,
    action: action() || undefined,
    object_type: objectType() || undefined,
    object_id: objectId() || undefined,
    since: iso(dayBound(since(), false)),
    until: iso(dayBound(until(), true)),
    limit: PAGE,
  });
  const [page, { refetch }] = createResource(filter, async (f) => {
    const first = await api.audit.list(f);
    setMore([]);
    setCursor(first.next_cursor);
    return first.data;
  });
  const loadMore = async () => {
    const next = await api.audit.list({ ...filter(), cursor: cursor()! });
    setMore([...more(), ...next.data]);
    setCursor(next.next_cursor);
  };
  const rows = () => [...(page.latest ?? []), ...more()];
  const filtered = () => Boolean(actor() || action() || objectType() || objectId() || since() || until());
  const mayRead = () => props.me.kind === "admin" || (props.me.teams ?? []).some((t) => t.role === "admin" || t.role === "owner");
  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1>Audit trail</h1>
          <p>
            Who changed what: keys, agents, models, MCP servers, vault secrets, teams, sign-ins, sandboxes and secret use. Secrets are never
            shown.
          </p>
        </div>
        <button class="btn ghost sm" onClick={() => refetch()}>
          Refresh
        </button>
      </div>
      <form class="toolbar" onSubmit={(e) => e.preventDefault()}>
        <input
          aria-label="Filter by actor"
          placeholder="actor (key or user id)"
          value={actor()}
          onChange={(e) => setActor(e.currentTarget.value.trim())}
        />
        <input
          aria-label="Filter by action"
          placeholder="action (agent.update, agent.)"
          value={action()}
          onChange={(e) => setAction(e.currentTarget.value.trim())}
        />
        <input
          aria-label="Filter by object type"
          placeholder="object type"
          value={objectType()}
          onChange={(e) => setObjectType(e.currentTarget.value.trim())}
        />
        <input
          aria-label="Filter by object id"
          placeholder="object id"
          value={objectId()}
          onChange={(e) => setObjectId(e.currentTarget.value.trim())}
        />
        <label class="muted">
          from <input type="date" aria-label="From day" value={since()} onChange={(e) => setSince(e.currentTarget.value)} />
        </label>
        <label class="muted">
          to <input type="date" aria-label="To day" value={until()} onChange={(e) => setUntil(e.currentTarget.value)} />
        </label>
      </form>
      <ListCard
        items={page}
        rows={rows}
        loading={page.loading && !page.latest}
        retry={refetch}
        colCount={6}
        tableClass="dense"
        testId="audit-table"
        columns={
          <>
            <th>When</th>
            <th>Actor</th>
            <th>Action</th>
            <th>Object</th>
            <th>Changed</th>
            <th>From</th>
          </>
        }
        empty={{
          title: filtered() ? "No rows match these filters" : "Nothing recorded yet",
          text: filtered()
            ? "Clear a filter, or widen the days."
            : mayRead()
              ? "Changes made through the API or the dashboard (a new key, an edited agent, a sign-in) appear here as they happen."
              : "Only admins and team admins read the audit trail; ask one of them.",
        }}
        footer={
          <Show when={cursor()}>
            <div class="card-pad">
              <button class="btn ghost sm" onClick={() => void loadMore()}>
                Load older rows
              </button>
            </div>
          </Show>
        }
      >
        <For each={rows()}>
          {(r) => (
            <>
              <tr data-testid="audit-row" class="clickable" onClick={() => setOpen(open() === r.id ? null : r.id)}>
                <td title={r.at}>{timeAgo(r.at)}</td>
                <td title={r.actor.key_id ?? r.actor.user_id ?? ""}>
                  {r.actor.label || r.actor.kind} <span class="muted">· {r.actor.kind}</span>
                </td>
                <td class="mono" data-testid="audit-action">
                  {r.action}
                </td>
                <td class="mono" data-testid="audit-object">
                  {r.object.type}
                  {r.object.id ? ` ${r.object.id}` : ""}
                </td>
                <td class="muted">{Object.keys(r.changes).join(", ") || "–"}</td>
                <td class="muted mono" title={r.actor.user_agent ?? ""}>
                  {r.actor.ip ?? "–"}
                </td>
              </tr>
              <Show when={open() === r.id}>
                <tr class="detail" data-testid="audit-detail">
                  <td colspan={6}>
                    <Show when={Object.keys(r.changes).length > 0} fallback={<div class="muted">No field changes recorded.</div>}>
                      <table class="dense">
                        <thead>
                          <tr>
                            <th>Field</th>
                            <th>Before</th>
                            <th>After</th>
                          </tr>
                        </thead>
                        <tbody>
                          <For each={Object.entries(r.changes)}>
                            {([field, c]) => (
                              <tr>
                                <td class="mono">{field}</td>
                                <td class="mono">{show(c.before)}</td>
                                <td class="mono">{show(c.after)}</td>
                              </tr>
                            )}
                          </For>
                        </tbody>
                      </table>
                    </Show>
                    <Show when={Object.keys(r.detail).length > 0}>
                      <pre class="mono muted">{JSON.stringify(r.detail, null, 2)}</pre>
                    </Show>
                    <div class="muted">
                      Request {r.actor.request_id ?? "–"} · {r.actor.user_agent ?? "no user agent"}
                      {r.object.team_id ? ` · team ${r.object.team_id}` : ""}
                    </div>
                  </td>
                </tr>
              </Show>
            </>
          )}
        </For>
      </ListCard>
    </div>
  );
}
