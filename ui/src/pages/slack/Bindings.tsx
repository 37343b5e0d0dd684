import { createResource, createSignal, For, Show } from "solid-js";
import { ConfirmDialog } from "../../components/forms";
import { ListCard } from "../../components/list-card";
import { toast } from "../../components/ui";
import { api, ApiError } from "../../lib/api";

/** Which agent answers in which workspace and channel; `*` is the default. */
export function BindingsCard() {
  const [bindings, { refetch }] = createResource(api.slack.bindings);
  const [agents] = createResource(() => api.agents.list());
  const [team, setTeam] = createSignal("*");
  const [channel, setChannel] = createSignal("*");
  const [agent, setAgent] = createSignal("");
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [removing, setRemoving] = createSignal<{ id: string; team_id: string; channel_id: string; agent_id: string } | null>(null);
  const agentName = (id: string) => agents()?.find((a) => a.id === id)?.name ?? id;
  const save = async (e: Event) => {
    e.preventDefault();
    setErrors({});
    try {
      await api.slack.bind({ team_id: team().trim() || "*", channel_id: channel().trim() || "*", agent_id: agent() });
      toast("Binding saved");
      refetch();
    } catch (err) {
      if (err instanceof ApiError && err.fields.length) setErrors(Object.fromEntries(err.fields.map((f) => [f.field, f.message])));
      else setErrors({ _: (err as Error).message });
    }
  };
  return (
    <section class="card card-pad" style={{ "margin-bottom": "16px" }} aria-label="Bindings">
      <h2>Who answers where</h2>
      <p class="muted">
        The most specific binding wins: channel, then workspace default (channel *), then the default everywhere (* and *).
      </p>
      <ListCard
        bare
        items={bindings}
        retry={refetch}
        colCount={4}
        columns={
          <>
            <th>Workspace</th>
            <th>Channel</th>
            <th>Agent</th>
            <th />
          </>
        }
        empty={{ title: "No bindings", text: "The bot will ask for an agent." }}
      >
        <For each={bindings()}>
          {(b) => (
            <tr data-testid="binding-row">
              <td class="mono">{b.team_id}</td>
              <td class="mono">{b.channel_id}</td>
              <td>{agentName(b.agent_id)}</td>
              <td style={{ "text-align": "right" }}>
                <button class="btn sm danger" aria-label={`Remove binding ${b.team_id} ${b.channel_id}`} onClick={() => setRemoving(b)}>
                  Remove
                </button>
              </td>
            </tr>
          )}
        </For>
      </ListCard>
      <form
        onSubmit={save}
        style={{ display: "grid", "grid-template-columns": "1fr 1fr 1fr auto", gap: "8px", "margin-top": "12px", "align-items": "end" }}
      >
        <label class="field">
          Workspace id
          <input
            name="team_id"
            value={team()}
            onInput={(e) => setTeam(e.currentTarget.value)}
            aria-invalid={errors().team_id ? "true" : undefined}
          />
          <Show when={errors().team_id}>
            <span class="field-error">{errors().team_id}</span>
          </Show>
        </label>
        <label class="field">
          Channel id
          <input
            name="channel_id"
            value={channel()}
            onInput={(e) => setChannel(e.currentTarget.value)}
            aria-invalid={errors().channel_id ? "true" : undefined}
          />
          <Show when={errors().channel_id}>
            <span class="field-error">{errors().channel_id}</span>
          </Show>
        </label>
        <label class="field">
          Agent
          <select
            name="agent_id"
            value={agent()}
            onChange={(e) => setAgent(e.currentTarget.value)}
            aria-invalid={errors().agent_id ? "true" : undefined}
          >
            <option value="">Choose an agent…</option>
            <For each={agents()}>{(a) => <option value={a.id}>{a.name}</option>}</For>
          </select>
          <Show when={errors().agent_id}>
            <span class="field-error">{errors().agent_id}</span>
          </Show>
        </label>
        <button class="btn primary" type="submit">
          Bind
        </button>
      </form>
      <Show when={errors()._}>
        <div class="field-error">{errors()._}</div>
      </Show>
      <Show when={removing()}>
        {(b) => (
          <ConfirmDialog
            title={`Remove the binding of ${b().team_id} / ${b().channel_id}?`}
            confirmLabel="Remove binding"
            action={async () => {
              await api.slack.unbind(b().id);
              toast("Binding removed");
            }}
            onClose={() => setRemoving(null)}
            onDone={refetch}
          >
            {agentName(b().agent_id)} stops answering there; a less specific binding answers instead, or the bot asks which agent to use.
            Threads already started keep their session.
          </ConfirmDialog>
        )}
      </Show>
    </section>
  );
}
