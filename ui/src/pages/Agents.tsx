import { A, useNavigate, useParams, useSearchParams } from "@solidjs/router";
import { createResource, createSignal, For, Show } from "solid-js";
import { ConfirmDialog } from "../components/forms";
import { AgentFiles } from "../components/AgentFiles";
import { ListCard } from "../components/list-card";
import { ErrorAlert, toast } from "../components/ui";
import { type AgentView, api, usd } from "../lib/api";
import { timeAgo } from "../lib/format";
import { useCreate, usePageTitle } from "../lib/shortcuts";
import { SessionLauncher, SessionTable } from "./Sessions";
import { AgentMemory } from "../components/AgentMemory";
import { AgentForm } from "../components/AgentForm";

/** Agents: list with search, create/edit form, detail with its sessions. */
export function Agents() {
  const [search, setSearch] = createSignal("");
  const [agents, { refetch }] = createResource(search, (s) => api.agents.list(s));
  const [editing, setEditing] = createSignal<AgentView | "new" | null>(null);
  // `?new=1&model=name`: the get-started checklist's "Create an agent with this model" opens the form with it chosen.
  const [params, setParams] = useSearchParams();
  const [presetModel, setPresetModel] = createSignal("");
  useCreate(() => {
    setPresetModel(typeof params.model === "string" ? params.model : "");
    setEditing("new");
  });
  const closeForm = () => {
    setEditing(null);
    if (params.model) setParams({ model: undefined }, { replace: true });
  };
  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1>Agents</h1>
          <p>What a session runs: a model, a system prompt, tools and a runtime.</p>
        </div>
        <button class="btn primary" onClick={() => setEditing("new")}>
          New agent <span class="kbd">c</span>
        </button>
      </div>
      <div class="toolbar">
        <input
          type="search"
          placeholder="Search agents"
          aria-label="Search agents"
          value={search()}
          onInput={(e) => setSearch(e.currentTarget.value)}
        />
      </div>
      <ListCard
        items={agents}
        retry={refetch}
        colCount={5}
        columns={
          <>
            <th>Name</th>
            <th>Model</th>
            <th>Status</th>
            <th title="Total cost of the agent's model calls through LAP's gateway">Cost</th>
            <th>Updated</th>
          </>
        }
        empty={{
          title: search() ? "No agent matches" : "No agents yet",
          action: (
            <button class="btn primary" onClick={() => setEditing("new")}>
              Create an agent
            </button>
          ),
        }}
      >
        <For each={agents()}>
          {(a) => (
            <tr data-testid="agent-row">
              <td>
                <A href={`/agents/${a.id}`}>{a.name}</A>
                <div class="muted">{a.description}</div>
              </td>
              <td class="mono">{a.model}</td>
              <td>
                <span class={`badge ${a.status === "active" ? "ok" : "warn"}`}>{a.status}</span>
              </td>
              <td data-testid="agent-cost">{usd(a.spend)}</td>
              <td>{timeAgo(a.updated_at)}</td>
            </tr>
          )}
        </For>
      </ListCard>

      <Show when={editing()}>
        {(e) => (
          <AgentForm
            agent={e() === "new" ? null : (e() as AgentView)}
            model={presetModel()}
            onClose={closeForm}
            onSaved={() => {
              closeForm();
              refetch();
            }}
          />
        )}
      </Show>
    </div>
  );
}

export function AgentDetail() {
  const params = useParams();
  const navigate = useNavigate();
  const [agent, { refetch, mutate }] = createResource(() => params.id, api.agents.get);
  const [editing, setEditing] = createSignal(false);
  const [deleting, setDeleting] = createSignal(false);
  const [tab, setTab] = createSignal<"sessions" | "files" | "memory">("sessions");
  usePageTitle(() => agent()?.name);
  const toggle = async (a: AgentView) => mutate(await (a.status === "active" ? api.agents.pause(a.id) : api.agents.resume(a.id)));
  return (
    <div class="page">
      <Show when={agent.error}>
        <ErrorAlert error={agent.error} retry={refetch} />
      </Show>
      <Show when={agent()}>
        {(a) => (
          <>
            <div class="page-head">
              <div>
                <h1>{a().name}</h1>
                <p>
                  {a().description || "No description"} · <span class="mono">{a().model}</span> ·{" "}
                  <span class={`badge ${a().status === "active" ? "ok" : "warn"}`}>{a().status}</span>
                </p>
              </div>
              <div>
                <button class="btn" onClick={() => setEditing(true)}>
                  Edit
                </button>{" "}
                <button class="btn" onClick={() => toggle(a())}>
                  {a().status === "active" ? "Pause" : "Resume"}
                </button>{" "}
                <button class="btn danger" onClick={() => setDeleting(true)}>
                  Delete
                </button>
              </div>
            </div>
            <div class="card card-pad" style={{ "margin-bottom": "16px", "white-space": "pre-wrap" }}>
              <div class="muted">System prompt</div>
              {a().system_prompt || <span class="muted">(empty)</span>}
            </div>
            <div class="usage-tabs" role="tablist" aria-label="Agent" style={{ "margin-bottom": "12px" }}>
              <button
                role="tab"
                class="btn ghost sm"
                aria-selected={tab() === "sessions"}
                classList={{ active: tab() === "sessions" }}
                onClick={() => setTab("sessions")}
              >
                Sessions
              </button>
              <button
                role="tab"
                class="btn ghost sm"
                aria-selected={tab() === "files"}
                classList={{ active: tab() === "files" }}
                onClick={() => setTab("files")}
              >
                Files
              </button>
              <button
                role="tab"
                class="btn ghost sm"
                aria-selected={tab() === "memory"}
                classList={{ active: tab() === "memory" }}
                onClick={() => setTab("memory")}
              >
                Memory
              </button>
            </div>
            <Show when={tab() === "sessions"}>
              <h2 id="start">Sessions</h2>
              <SessionLauncher agentId={a().id} />
              <SessionTable agentId={a().id} />
            </Show>
            <Show when={tab() === "files"}>
              <h2>Files</h2>
              <AgentFiles agentId={a().id} />
            </Show>
            <Show when={tab() === "memory"}>
              <AgentMemory agentId={a().id} />
            </Show>
            <Show when={editing()}>
              <AgentForm
                agent={a()}
                onClose={() => setEditing(false)}
                onSaved={(saved) => {
                  setEditing(false);
                  mutate(saved);
                }}
              />
            </Show>
            <Show when={deleting()}>
              <ConfirmDialog
                title={`Delete agent “${a().name}”?`}
                confirmLabel="Delete agent"
                action={async () => {
                  await api.agents.remove(a().id);
                  toast(`Deleted ${a().name}`);
                  navigate("/agents");
                }}
                onClose={() => setDeleting(false)}
                dependents={{
                  label: "Its sessions that are still open",
                  load: async () => {
                    const { data } = await api.sessions.list({ agent_id: a().id, limit: 200 });
                    return data
                      .filter((s) => s.status !== "stopped")
                      .map((s) => ({ name: s.title || s.id, href: `/sessions/${s.id}`, note: s.status.replace("_", " ") }));
                  },
                  none: "No open sessions.",
                  consequence: "These sessions are stopped and their sandboxes end; their history stays readable.",
                }}
              >
                The agent's settings are deleted. This cannot be undone.
              </ConfirmDialog>
            </Show>
          </>
        )}
      </Show>
    </div>
  );
}
