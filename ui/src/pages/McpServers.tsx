import { createResource, createSignal, For, Show } from "solid-js";
import { McpServerDetail } from "../components/McpServerDetail";
import { McpServerDialog } from "../components/McpServerDialog";
import { ConfirmDialog } from "../components/forms";
import { ListCard } from "../components/list-card";
import { toast } from "../components/ui";
import { api, type Me, type ServerView } from "../lib/api";
import { isOrgAdmin, mayAdd, mayManage, newGoesTo, teamName } from "../lib/teams";
import { timeAgo } from "../lib/format";
import { useCreate } from "../lib/shortcuts";

const callStatus: Record<string, string> = { ok: "ok", denied: "warn", error: "err", timeout: "err", unavailable: "err", cancelled: "" };

/** MCP servers registered once and reached through LAP's /mcp proxy, plus the tool call log. */
export function McpServers(props: { me: Me }) {
  const [servers, { refetch, mutate }] = createResource(api.mcp.list);
  // The call log is every caller's: admins only.
  const [calls, { refetch: refetchCalls }] = createResource(() => (isOrgAdmin(props.me) ? api.mcp.calls() : Promise.resolve([])));
  const [editing, setEditing] = createSignal<ServerView | "new" | null>(null);
  const [selected, setSelected] = createSignal<string | null>(null);
  const [removing, setRemoving] = createSignal<ServerView | null>(null);
  const current = () => servers()?.find((s) => s.id === selected());
  useCreate(() => mayAdd(props.me) && setEditing("new"));

  const replace = (s: ServerView) => mutate((list) => (list ?? []).map((x) => (x.id === s.id ? s : x)));

  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1>MCP servers</h1>
          <p>
            Register MCP servers once; clients and agents reach them through LAP at <code>/mcp</code> or <code>/mcp/&lt;name&gt;</code> with
            their LAP key. Credentials stay here. A team's servers are for its members and agents; new ones go to{" "}
            {newGoesTo(props.me) ?? "the team you pick in the team switcher"}.
          </p>
        </div>
        <Show when={mayAdd(props.me)}>
          <button class="btn primary" onClick={() => setEditing("new")}>
            Add server <span class="kbd">c</span>
          </button>
        </Show>
      </div>
      <ListCard
        items={servers}
        retry={refetch}
        colCount={7}
        columns={
          <>
            <th>Name</th>
            <th>Team</th>
            <th>Transport</th>
            <th>Target</th>
            <th>Auth</th>
            <th>Status</th>
            <th />
          </>
        }
        empty={{
          title: "No MCP servers yet",
          text: "Add a Streamable HTTP or SSE URL, or a stdio command that LAP runs in a sandbox.",
          action: mayAdd(props.me) ? (
            <button class="btn primary" onClick={() => setEditing("new")}>
              Add your first server
            </button>
          ) : undefined,
        }}
      >
        <For each={servers()}>
          {(s) => (
            <tr
              data-testid="server-row"
              style={{ cursor: "pointer" }}
              onClick={() => mayManage(props.me, s.team_id) && setSelected(s.id === selected() ? null : s.id)}
            >
              <td>
                <strong>{s.name}</strong>
              </td>
              <td>
                <span class={`badge ${s.team_id ? "" : "accent"}`}>{teamName(props.me, s.team_id)}</span>
              </td>
              <td>
                <span class="badge">{s.transport}</span>
              </td>
              <td class="mono muted">{s.url ?? [s.command, ...s.args].join(" ")}</td>
              <td>{s.auth.type}</td>
              <td>
                <span class={`badge ${s.enabled ? "ok" : ""}`}>{s.enabled ? "enabled" : "disabled"}</span>
              </td>
              <td style={{ "text-align": "right", "white-space": "nowrap" }} onClick={(e) => e.stopPropagation()}>
                <Show when={mayManage(props.me, s.team_id)} fallback={<span class="muted">read only</span>}>
                  <button class="btn sm" onClick={() => setEditing(s)} aria-label={`Edit ${s.name}`}>
                    Edit
                  </button>{" "}
                  <button class="btn sm" onClick={async () => replace(await api.mcp.update(s.id, { enabled: !s.enabled }))}>
                    {s.enabled ? "Disable" : "Enable"}
                  </button>{" "}
                  <button class="btn sm danger" onClick={() => setRemoving(s)} aria-label={`Remove ${s.name}`}>
                    Remove
                  </button>
                </Show>
              </td>
            </tr>
          )}
        </For>
      </ListCard>

      <Show when={current()}>{(s) => <McpServerDetail server={s()} onChanged={replace} />}</Show>

      <Show when={isOrgAdmin(props.me)}>
        <div class="page-head" style={{ "margin-top": "24px" }}>
          <h2 style={{ margin: 0 }}>Recent tool calls</h2>
          <button class="btn sm" onClick={() => refetchCalls()}>
            Refresh
          </button>
        </div>
        <ListCard
          items={calls}
          retry={refetchCalls}
          colCount={7}
          columns={
            <>
              <th>When</th>
              <th>Caller</th>
              <th>Server</th>
              <th>Tool</th>
              <th>Status</th>
              <th>Duration</th>
              <th>Session</th>
            </>
          }
          empty={{ title: "No tool calls yet", text: "Calls agents and keys make through LAP's MCP gateway appear here." }}
        >
          <For each={calls()}>
            {(c) => (
              <tr data-testid="call-row">
                <td title={c.created_at}>{timeAgo(c.created_at)}</td>
                <td>{c.caller_label}</td>
                <td>{c.server_name}</td>
                <td class="mono">{c.tool}</td>
                <td>
                  <span class={`badge ${callStatus[c.status] ?? ""}`} title={c.error ?? ""}>
                    {c.status}
                  </span>
                </td>
                <td>{c.duration_ms} ms</td>
                <td class="mono muted">{c.session_id ?? ""}</td>
              </tr>
            )}
          </For>
        </ListCard>
      </Show>

      <Show when={editing()}>
        {(e) => (
          <McpServerDialog
            server={e() === "new" ? undefined : (e() as ServerView)}
            allowStdio={isOrgAdmin(props.me)}
            onClose={() => setEditing(null)}
            onSaved={(saved) => {
              setEditing(null);
              toast(`Saved ${saved.name}`);
              setSelected(saved.id);
              refetch();
            }}
          />
        )}
      </Show>
      <Show when={removing()}>
        {(s) => (
          <ConfirmDialog
            title={`Remove “${s().name}”?`}
            confirmLabel="Remove server"
            action={async () => {
              await api.mcp.remove(s().id);
              toast(`Removed ${s().name}`);
              setSelected(null);
            }}
            onClose={() => setRemoving(null)}
            onDone={refetch}
            dependents={{
              label: "Agents that use this server",
              load: async () =>
                (await api.agents.list())
                  .filter((a) => a.mcp_servers.some((m) => m.name === s().name))
                  .map((a) => ({ name: a.name, href: `/agents/${a.id}` })),
              none: "No agent lists it.",
              consequence: "These agents lose its tools at once.",
            }}
          >
            Clients using it lose access at once; its grants and users' credentials are deleted.
          </ConfirmDialog>
        )}
      </Show>
    </div>
  );
}
