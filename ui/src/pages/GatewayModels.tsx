import { useSearchParams } from "@solidjs/router";
import { createEffect, createResource, createSignal, For, Show } from "solid-js";
import { ConfirmDialog, createApiForm, FormDialog } from "../components/forms";
import { ListCard } from "../components/list-card";
import { toast } from "../components/ui";
import { api, ApiError, type DeploymentView, perMillion } from "../lib/api";
import { TestResult } from "../components/ModelPicker";
import { parseNumberFields } from "../lib/number-field";
import { useCreate } from "../lib/shortcuts";

/** Models & providers: what the gateway routes to, adding and editing a provider key and prices, testing a model. */
export function GatewayModels() {
  const [params] = useSearchParams();
  const [models, { refetch }] = createResource(api.gateway.models.list);
  const [settings] = createResource(() => api.gateway.settings().catch((e) => ({ error: e as ApiError })));
  const [editing, setEditing] = createSignal<DeploymentView | "new" | null>(null);
  useCreate(() => setEditing("new"));
  const [removing, setRemoving] = createSignal<DeploymentView | null>(null);
  const [testing, setTesting] = createSignal<Record<string, boolean>>({});
  const runTest = async (name: string) => {
    setTesting((t) => ({ ...t, [name]: true }));
    await api.gateway.models.test(name).catch((e) => toast((e as Error).message));
    setTesting((t) => ({ ...t, [name]: false }));
    refetch();
  };
  // Linked from a failed session's error box: `?model=name` brings that row into view with its Test button.
  const focused = () => (typeof params.model === "string" ? params.model : undefined);
  createEffect(() => {
    const name = focused();
    if (!name || !models()) return;
    queueMicrotask(() => {
      const row = document.querySelector<HTMLElement>(`tr[data-model="${CSS.escape(name)}"]`);
      row?.scrollIntoView({ block: "center" });
      row?.querySelector<HTMLButtonElement>("button[data-test-button]")?.focus();
    });
  });
  const missing = () => {
    const s = settings();
    return s && "error" in s && s.error instanceof ApiError && s.error.code === "litellm_missing_config" ? s.error.message : null;
  };
  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1>Models &amp; providers</h1>
          <p>Model names callers use, and the provider deployments behind them. Provider keys are encrypted and never shown.</p>
        </div>
        <button class="btn primary" onClick={() => setEditing("new")}>
          Add model <span class="kbd">c</span>
        </button>
      </div>
      <Show when={missing()}>
        <div class="alert" role="alert" data-testid="litellm-missing">
          <strong>External LiteLLM is not configured.</strong> {missing()}
        </div>
      </Show>
      <Show when={focused() && models() && !models()!.some((d) => d.model_name === focused())}>
        <div class="alert" role="alert" data-testid="model-not-found">
          This gateway has no model named <code>{focused()}</code>. Add it (the model name is what agents and callers send as{" "}
          <code>model</code>), or change the agent to one of the models below.
        </div>
      </Show>
      <ListCard
        items={models}
        retry={refetch}
        colCount={8}
        columns={
          <>
            <th>Model</th>
            <th>Provider</th>
            <th>Upstream model</th>
            <th>API base</th>
            <th>Key</th>
            <th>Price per 1M tokens</th>
            <th>Last test</th>
            <th />
          </>
        }
        empty={{
          title: "No models yet",
          text: "Add a provider key here, or list models in a LiteLLM-style config.yaml (LAP_GATEWAY_CONFIG).",
          action: (
            <button class="btn primary" onClick={() => setEditing("new")}>
              Add your first model
            </button>
          ),
        }}
      >
        <For each={models()}>
          {(d) => (
            <tr data-testid="model-row" data-model={d.model_name} classList={{ highlight: d.model_name === focused() }}>
              <td>
                <strong>{d.model_name}</strong>
                <div class="muted">
                  {d.model_info.source === "database"
                    ? "added here"
                    : d.model_info.source === "config"
                      ? "config file"
                      : "LITELLM_API_BASE"}
                </div>
              </td>
              <td>
                <span class="badge">{d.model_info.provider === "anthropic" ? "Anthropic" : "OpenAI-compatible"}</span>
              </td>
              <td class="mono">{d.litellm_params.model}</td>
              <td class="mono muted wrap-anywhere">{d.litellm_params.api_base}</td>
              <td>{d.model_info.has_api_key ? <span class="badge ok">stored</span> : <span class="muted">none</span>}</td>
              <td data-testid="model-price">
                <Show
                  when={d.model_info.priced !== false}
                  fallback={
                    <span class="badge warn" title="Calls are logged at $0 until a price is set (Edit)">
                      no price
                    </span>
                  }
                >
                  <Show
                    when={d.model_info.input_cost_per_token !== null || d.model_info.output_cost_per_token !== null}
                    fallback={<span class="muted">bundled table</span>}
                  >
                    {perMillion(d.model_info.input_cost_per_token)} in · {perMillion(d.model_info.output_cost_per_token)} out
                  </Show>
                </Show>
              </td>
              <td class="test-cell">
                <div style={{ display: "flex", gap: "6px", "align-items": "center", "flex-wrap": "wrap" }}>
                  <TestResult test={d.model_info.last_test} />
                  <button
                    class="btn sm"
                    data-test-button
                    disabled={testing()[d.model_name]}
                    onClick={() => runTest(d.model_name)}
                    aria-label={`Test ${d.model_name}`}
                  >
                    {testing()[d.model_name] ? "Testing…" : "Test"}
                  </button>
                </div>
              </td>
              <td style={{ "text-align": "right", "white-space": "nowrap" }}>
                <Show when={d.model_info.source === "database"}>
                  <button class="btn sm" onClick={() => setEditing(d)} aria-label={`Edit ${d.model_name}`}>
                    Edit
                  </button>{" "}
                  <button class="btn sm danger" onClick={() => setRemoving(d)} aria-label={`Remove ${d.model_name}`}>
                    Remove
                  </button>
                </Show>
              </td>
            </tr>
          )}
        </For>
      </ListCard>
      <Show when={editing()}>
        {(e) => (
          <ModelDialog
            existing={e() === "new" ? undefined : (e() as DeploymentView)}
            onClose={() => setEditing(null)}
            onSaved={() => {
              setEditing(null);
              refetch();
            }}
          />
        )}
      </Show>
      <Show when={removing()}>
        {(d) => {
          const others = () =>
            (models() ?? []).filter((m) => m.model_name === d().model_name && m.model_info.id !== d().model_info.id).length;
          return (
            <ConfirmDialog
              title={`Remove model “${d().model_name}”?`}
              confirmLabel="Remove model"
              action={async () => {
                await api.gateway.models.remove(d().model_info.id);
                toast(`Removed ${d().model_name}`);
              }}
              onClose={() => setRemoving(null)}
              onDone={refetch}
              dependents={{
                label: "Agents using this model",
                load: async () =>
                  (await api.agents.list(undefined, { model: d().model_name })).map((a) => ({ name: a.name, href: `/agents/${a.id}` })),
                none: "No agent uses it.",
                consequence: others()
                  ? `Another deployment still serves ${d().model_name}: these agents keep working through it.`
                  : `Their next message fails (no model named ${d().model_name}) until it is added again or they are changed to another model.`,
              }}
            >
              The deployment ({d().litellm_params.model} at {d().litellm_params.api_base}) and its stored provider key are deleted. This
              cannot be undone: the key would have to be entered again.
            </ConfirmDialog>
          );
        }}
      </Show>
    </div>
  );
}

const perToken = (perMillionUsd: number | null) => (perMillionUsd === null ? null : perMillionUsd / 1e6);
const toMillion = (perTokenUsd: number | null | undefined) =>
  perTokenUsd === null || perTokenUsd === undefined ? "" : String(+(perTokenUsd * 1e6).toPrecision(6));

/**
 * Add a model, or edit a stored one: its name, upstream model, API base, key (blank keeps the stored
 * one) and prices in US dollars per million tokens (blank: the bundled table, or "no price").
 */
function ModelDialog(props: { existing?: DeploymentView; onClose: () => void; onSaved: () => void }) {
  const e = props.existing;
  const [name, setName] = createSignal(e?.model_name ?? "");
  const [provider, setProvider] = createSignal<"openai" | "anthropic">(e?.model_info.provider ?? "openai");
  // An Anthropic deployment shows as anthropic/<model>; an OpenAI-compatible one as its upstream name,
  // which may itself hold a slash (OpenRouter's anthropic/claude-…), so only the first is stripped.
  const [model, setModel] = createSignal(
    e ? (e.model_info.provider === "anthropic" ? e.litellm_params.model.replace(/^anthropic\//, "") : e.litellm_params.model) : "",
  );
  const [base, setBase] = createSignal(e?.litellm_params.api_base ?? "");
  const [key, setKey] = createSignal("");
  const [inputPrice, setInputPrice] = createSignal(toMillion(e?.model_info.input_cost_per_token));
  const [outputPrice, setOutputPrice] = createSignal(toMillion(e?.model_info.output_cost_per_token));
  const form = createApiForm();
  const upstream = () => (model() ? `${provider()}/${model()}` : "");
  const submit = () =>
    form.submit(async () => {
      const prices = parseNumberFields({
        "litellm_params.input_cost_per_token": { raw: inputPrice(), min: 0, unit: "US dollars per million tokens" },
        "litellm_params.output_cost_per_token": { raw: outputPrice(), min: 0, unit: "US dollars per million tokens" },
      });
      if (Object.keys(prices.errors).length)
        throw new ApiError(
          400,
          "invalid_request",
          "Check the prices",
          Object.entries(prices.errors).map(([field, message]) => ({ field, message })),
        );
      const input = perToken(prices.values["litellm_params.input_cost_per_token"]);
      const output = perToken(prices.values["litellm_params.output_cost_per_token"]);
      if (e) {
        await api.gateway.models.update({
          model_info: { id: e.model_info.id },
          model_name: name(),
          litellm_params: {
            model: upstream(),
            api_base: base() || undefined,
            api_key: key() || undefined,
            input_cost_per_token: input,
            output_cost_per_token: output,
          },
        });
        toast(`Saved ${name()}`);
      } else {
        await api.gateway.models.add({
          model_name: name(),
          litellm_params: {
            model: upstream(),
            api_base: base() || undefined,
            api_key: key() || undefined,
            ...(input !== null ? { input_cost_per_token: input } : {}),
            ...(output !== null ? { output_cost_per_token: output } : {}),
          },
        });
        toast(`Added ${name()}`);
      }
      props.onSaved();
    });
  return (
    <FormDialog
      title={e ? `Edit ${e.model_name}` : "Add model"}
      submitLabel={e ? "Save model" : "Add model"}
      busyLabel="Saving…"
      busy={form.busy()}
      onSubmit={submit}
      onClose={props.onClose}
    >
      <label class="field">
        Model name <span class="hint">what agents and callers send as "model"</span>
        <input
          name="model_name"
          value={name()}
          onInput={(ev) => setName(ev.currentTarget.value)}
          placeholder="gpt-4o, claude-sonnet"
          aria-invalid={form.invalid("model_name")}
        />
        <form.FieldError field="model_name" />
      </label>
      <label class="field">
        Provider
        <select name="provider" value={provider()} onChange={(ev) => setProvider(ev.currentTarget.value as "openai" | "anthropic")}>
          <option value="openai">OpenAI-compatible (OpenAI, vLLM, Ollama, OpenRouter, LiteLLM)</option>
          <option value="anthropic">Anthropic</option>
        </select>
      </label>
      <label class="field">
        Upstream model <span class="hint">the provider's own name for it</span>
        <input
          name="upstream"
          value={model()}
          onInput={(ev) => setModel(ev.currentTarget.value)}
          placeholder="gpt-4o-mini, claude-sonnet-4-5"
          aria-invalid={form.invalid("litellm_params.model")}
        />
        <form.FieldError field="litellm_params.model" />
      </label>
      <label class="field">
        API base <span class="hint">optional for OpenAI and Anthropic</span>
        <input
          name="api_base"
          value={base()}
          onInput={(ev) => setBase(ev.currentTarget.value)}
          placeholder="https://api.openai.com/v1"
          aria-invalid={form.invalid("litellm_params.api_base")}
        />
        <form.FieldError field="litellm_params.api_base" />
      </label>
      <label class="field">
        Provider API key{" "}
        <span class="hint">
          {e
            ? e.model_info.has_api_key
              ? "a key is stored; leave blank to keep it"
              : "none stored"
            : "encrypted at rest; never shown again"}
        </span>
        <input name="api_key" type="password" autocomplete="off" value={key()} onInput={(ev) => setKey(ev.currentTarget.value)} />
      </label>
      <div class="grid-2">
        <label class="field">
          Input price <span class="hint">US dollars per 1M tokens</span>
          <input
            name="input_price"
            inputmode="decimal"
            value={inputPrice()}
            onInput={(ev) => setInputPrice(ev.currentTarget.value)}
            placeholder="3"
            aria-invalid={form.invalid("litellm_params.input_cost_per_token")}
          />
          <form.FieldError field="litellm_params.input_cost_per_token" />
        </label>
        <label class="field">
          Output price <span class="hint">US dollars per 1M tokens</span>
          <input
            name="output_price"
            inputmode="decimal"
            value={outputPrice()}
            onInput={(ev) => setOutputPrice(ev.currentTarget.value)}
            placeholder="15"
            aria-invalid={form.invalid("litellm_params.output_cost_per_token")}
          />
          <form.FieldError field="litellm_params.output_cost_per_token" />
        </label>
      </div>
      <div class="muted">
        Leave the prices blank to use LAP's table of common models; a model it does not know is logged as "no price" (cost $0).
      </div>
      <form.FormError />
    </FormDialog>
  );
}
