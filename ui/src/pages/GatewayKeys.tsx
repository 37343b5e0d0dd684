import { A } from "@solidjs/router";
import { createResource, createSignal, For, Show } from "solid-js";
import { useCreate } from "../lib/shortcuts";
import { api, ApiError, type KeyInfo, type NewKeyInput, usd } from "../lib/api";
import { parseNumberFields } from "../lib/number-field";
import { gatewayModelNames } from "../components/ModelPicker";
import { ConfirmDialog, createApiForm, FormDialog, RevealSecretDialog } from "../components/forms";
import { ListCard } from "../components/list-card";
import { toast } from "../components/ui";
import { timeAgo } from "../lib/format";

const statusClass = { active: "ok", expired: "warn", revoked: "err" } as const;

/** Virtual keys: limits, and spend against budget. */
export function GatewayKeys() {
  const [keys, { refetch }] = createResource(api.gateway.keys.list);
  const [creating, setCreating] = createSignal(false);
  const [revealed, setRevealed] = createSignal<string | null>(null);
  const [editing, setEditing] = createSignal<KeyInfo | null>(null);
  const [deleting, setDeleting] = createSignal<KeyInfo | null>(null);
  useCreate(() => setCreating(true));
  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1>Gateway keys</h1>
          <p>
            Keys that only call models (<span class="mono">/v1</span>) and MCP: which models, how much they may spend, how fast.
          </p>
        </div>
        <span>
          <button class="btn" onClick={() => refetch()}>
            Refresh
          </button>{" "}
          <button class="btn primary" onClick={() => setCreating(true)}>
            Create key <span class="kbd">c</span>
          </button>
        </span>
      </div>
      <p class="callout" data-testid="keys-explained">
        <strong>Gateway keys or API keys?</strong> Give a gateway key to an app, a teammate's SDK or CI that only calls models: it cannot
        manage LAP. Keys of kind <span class="badge">session</span> are made by LAP for one agent session (its model calls and its agent's
        MCP servers) and end with it. Keys that manage LAP are under <A href="/keys">API keys</A>.
      </p>
      <ListCard
        items={keys}
        retry={refetch}
        colCount={9}
        columns={
          <>
            <th>Alias</th>
            <th>Key</th>
            <th>Kind</th>
            <th>Models</th>
            <th>Spend / budget</th>
            <th>Limits</th>
            <th>Expires</th>
            <th>Status</th>
            <th />
          </>
        }
        empty={{
          title: "No gateway keys yet",
          text: "Give each agent or teammate a key with its own budget and limits.",
          action: (
            <button class="btn primary" onClick={() => setCreating(true)}>
              Create a key
            </button>
          ),
        }}
      >
        <For each={keys()}>
          {(k) => {
            const pct = () => (k.max_budget ? Math.min(100, (k.spend / k.max_budget) * 100) : 0);
            return (
              <tr data-testid="gateway-key-row">
                <td>
                  <strong>{k.key_alias ?? (k.session_id ? "session key" : <span class="muted">unnamed</span>)}</strong>
                  <Show when={k.session_id}>
                    {(id) => (
                      <div class="muted">
                        for <A href={`/sessions/${id()}`}>a session</A>
                      </div>
                    )}
                  </Show>
                </td>
                <td class="mono muted">{k.key_name}</td>
                <td>
                  <span
                    class="badge"
                    title={
                      k.kind === "session"
                        ? "Bound to one session: its model calls and its agent's MCP servers"
                        : "LLM gateway and /mcp only"
                    }
                  >
                    {k.kind}
                  </span>
                </td>
                <td>{k.models.length ? k.models.join(", ") : <span class="muted">all</span>}</td>
                <td data-testid="spend">
                  {usd(k.spend)}{" "}
                  {k.max_budget !== null ? (
                    <span class="muted">
                      of {usd(k.max_budget)}
                      {k.budget_duration ? ` / ${k.budget_duration}` : ""}
                    </span>
                  ) : (
                    <span class="muted">no budget</span>
                  )}
                  <Show when={k.max_budget !== null}>
                    <div class="meter" title={`${pct().toFixed(0)}% of budget`}>
                      <div class={pct() >= 100 ? "over" : ""} style={{ width: `${pct()}%` }} />
                    </div>
                  </Show>
                </td>
                <td class="muted">
                  {[
                    k.rpm_limit && `${k.rpm_limit} rpm`,
                    k.tpm_limit && `${k.tpm_limit} tpm`,
                    k.max_parallel_requests && `${k.max_parallel_requests} parallel`,
                  ]
                    .filter(Boolean)
                    .join(" · ") || "none"}
                </td>
                <td title={k.expires ?? ""}>{k.expires ? timeAgo(k.expires) : <span class="muted">never</span>}</td>
                <td>
                  <span class={`badge ${statusClass[k.status]}`}>{k.status}</span>
                </td>
                <td style={{ "text-align": "right", "white-space": "nowrap" }}>
                  <button class="btn sm" onClick={() => setEditing(k)} aria-label={`Edit ${k.key_alias ?? k.key_name}`}>
                    Edit
                  </button>{" "}
                  <button class="btn sm danger" onClick={() => setDeleting(k)} aria-label={`Delete ${k.key_alias ?? k.key_name}`}>
                    Delete
                  </button>
                </td>
              </tr>
            );
          }}
        </For>
      </ListCard>
      <Show when={creating()}>
        <KeyDialog
          onClose={() => setCreating(false)}
          onSaved={(token) => {
            setCreating(false);
            setRevealed(token ?? null);
            refetch();
          }}
        />
      </Show>
      <Show when={editing()}>
        {(k) => (
          <KeyDialog
            existing={k()}
            onClose={() => setEditing(null)}
            onSaved={() => {
              setEditing(null);
              toast("Limits saved");
              refetch();
            }}
          />
        )}
      </Show>
      <Show when={revealed()}>
        {(token) => (
          <RevealSecretDialog secret={token()} testId="new-gateway-key" onClose={() => setRevealed(null)}>
            Point any OpenAI or Anthropic SDK at this LAP's <code>/v1</code> with this key.
          </RevealSecretDialog>
        )}
      </Show>
      <Show when={deleting()}>
        {(k) => (
          <ConfirmDialog
            title={`Delete “${k().key_alias ?? k().key_name}”?`}
            confirmLabel="Delete key"
            action={async () => {
              await api.gateway.keys.remove(k().token_id);
              toast(`Deleted ${k().key_alias ?? k().key_name}`);
            }}
            onClose={() => setDeleting(null)}
            onDone={refetch}
            dependents={
              k().session_id
                ? {
                    label: "Bound to a session",
                    load: async () => [
                      { name: k().session_id!, href: `/sessions/${k().session_id}`, note: "its agent's model calls fail from now on" },
                    ],
                    none: "",
                  }
                : undefined
            }
          >
            Callers using this key get 401 from now on (the logs say so). Its spend history stays in the logs.
          </ConfirmDialog>
        )}
      </Show>
    </div>
  );
}

const initialForm = (k?: KeyInfo): Record<string, string> => {
  if (!k) return { budget_duration: "30d" };
  const s = (v: number | string | null) => (v === null ? "" : String(v));
  return {
    key_alias: k.key_alias ?? "",
    max_budget: s(k.max_budget),
    budget_duration: k.budget_duration ?? "30d",
    rpm_limit: s(k.rpm_limit),
    tpm_limit: s(k.tpm_limit),
    max_parallel_requests: s(k.max_parallel_requests),
    duration: "",
  };
};

/** Create a key, or change an existing key's limits (then the key itself is not shown again). */
function KeyDialog(props: { existing?: KeyInfo; onClose: () => void; onSaved: (token?: string) => void }) {
  const [form, setForm] = createSignal<Record<string, string>>(initialForm(props.existing));
  const [models, setModels] = createSignal<string[]>(props.existing?.models ?? []);
  const [gatewayModels] = createResource(() => api.gateway.models.list().catch(() => []));
  // The gateway's models, wildcard groups too (a key may be allowed `openai/*`), and any the key already names.
  const choices = () => [
    ...new Set([
      ...gatewayModelNames(gatewayModels() ?? []).map((m) => m.name),
      ...(gatewayModels() ?? []).map((d) => d.model_name).filter((n) => n.includes("*")),
      ...models(),
    ]),
  ];
  const toggleModel = (name: string, on: boolean) => setModels(on ? [...models(), name] : models().filter((m) => m !== name));
  const apiForm = createApiForm();
  const set = (k: string) => (e: { currentTarget: HTMLInputElement }) => setForm((f) => ({ ...f, [k]: e.currentTarget.value }));
  const submit = () =>
    apiForm.submit(async () => {
      const f = form();
      // Every number is checked before anything is sent: "ten dollars" is an error on its field, never no budget.
      const { values, errors } = parseNumberFields({
        max_budget: { raw: f.max_budget, min: 0, unit: "US dollars" },
        rpm_limit: { raw: f.rpm_limit, integer: true, min: 1, unit: "requests" },
        tpm_limit: { raw: f.tpm_limit, integer: true, min: 1, unit: "tokens" },
        max_parallel_requests: { raw: f.max_parallel_requests, integer: true, min: 1, unit: "requests" },
      });
      if (Object.keys(errors).length)
        throw new ApiError(
          400,
          "invalid_request",
          "Check the highlighted fields",
          Object.entries(errors).map(([field, message]) => ({ field, message })),
        );
      const input: NewKeyInput = {
        key_alias: f.key_alias || undefined,
        models: models().length ? models() : props.existing ? [] : undefined,
        max_budget: values.max_budget,
        budget_duration: values.max_budget !== null ? f.budget_duration || null : null,
        rpm_limit: values.rpm_limit,
        tpm_limit: values.tpm_limit,
        max_parallel_requests: values.max_parallel_requests,
        duration: f.duration || (props.existing ? undefined : null),
      };
      if (props.existing) {
        await api.gateway.keys.update(props.existing.token_id, input);
        props.onSaved();
      } else props.onSaved((await api.gateway.keys.create(input)).key);
    });
  const field = (name: string, label: string, placeholder: string, hint?: string) => (
    <label class="field">
      {label}{" "}
      <Show when={hint}>
        <span class="hint">{hint}</span>
      </Show>
      <input name={name} value={form()[name] ?? ""} onInput={set(name)} placeholder={placeholder} aria-invalid={apiForm.invalid(name)} />
      <apiForm.FieldError field={name} />
    </label>
  );
  return (
    <FormDialog
      title={props.existing ? `Edit ${props.existing.key_alias ?? props.existing.key_name}` : "Create gateway key"}
      submitLabel={props.existing ? "Save limits" : "Create key"}
      busyLabel="Saving…"
      busy={apiForm.busy()}
      onSubmit={submit}
      onClose={props.onClose}
    >
      {field("key_alias", "Alias", "agent-reviewer, alice")}
      <fieldset class="field key-picker">
        <legend>
          Models <span class="hint">the models this key may call; none ticked allows every model</span>
        </legend>
        <Show
          when={choices().length}
          fallback={
            <span class="muted">
              {gatewayModels.loading
                ? "Loading models…"
                : "This gateway has no models yet; the key will be allowed every model added later."}
            </span>
          }
        >
          <div class="pick-list" role="group" aria-label="Models">
            <For each={choices()}>
              {(name) => (
                <label>
                  <input
                    type="checkbox"
                    name="models"
                    value={name}
                    checked={models().includes(name)}
                    onChange={(e) => toggleModel(name, e.currentTarget.checked)}
                  />
                  <span class="mono">{name}</span>
                </label>
              )}
            </For>
          </div>
        </Show>
        <apiForm.FieldError field="models" />
      </fieldset>
      <div class="grid-2">
        {field("max_budget", "Max budget (USD)", "10")}
        {field("budget_duration", "Budget resets every", "30d")}
        {field("rpm_limit", "Requests per minute", "60")}
        {field("tpm_limit", "Tokens per minute", "100000")}
        {field("max_parallel_requests", "Parallel requests", "4")}
        {field("duration", props.existing ? "New expiry from now" : "Expires after", "30d")}
      </div>
      <div class="muted">Limits are optional; durations look like 1h, 1d or 30d.</div>
      <apiForm.FormError />
    </FormDialog>
  );
}
