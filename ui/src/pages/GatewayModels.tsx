import { createResource, createSignal, For, Show } from "solid-js";
import { createApiForm, FormDialog } from "../components/forms";
import { ListCard } from "../components/list-card";
import { toast } from "../components/ui";
import { ApiError } from "../lib/api";
import { gatewayApi, type DeploymentView } from "../lib/api/gateway";

type TestResult = { ok: boolean; latency_ms: number; reply?: string | null; error?: string };

/** Models & providers: what the gateway routes to, adding a provider key, testing a model. */
export function GatewayModels() {
  const [models, { refetch }] = createResource(gatewayApi.models.list);
  const [settings] = createResource(() => gatewayApi.settings().catch((e) => ({ error: e as ApiError })));
  const [adding, setAdding] = createSignal(false);
  const [tests, setTests] = createSignal<Record<string, TestResult | "running">>({});
  const runTest = async (name: string) => {
    setTests((t) => ({ ...t, [name]: "running" }));
    const r = await gatewayApi.models.test(name).catch((e) => ({ ok: false, latency_ms: 0, error: (e as Error).message }));
    setTests((t) => ({ ...t, [name]: r }));
  };
  const remove = async (d: DeploymentView) => {
    try {
      await gatewayApi.models.remove(d.model_info.id);
      toast(`Removed ${d.model_name}`);
      refetch();
    } catch (err) {
      toast((err as Error).message);
    }
  };
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
        <button class="btn primary" onClick={() => setAdding(true)}>Add model</button>
      </div>
      <Show when={missing()}>
        <div class="alert" role="alert" data-testid="litellm-missing">
          <strong>External LiteLLM is not configured.</strong> {missing()}
        </div>
      </Show>
      <ListCard
        items={models}
        retry={refetch}
        colCount={8}
        columns={<><th>Model</th><th>Provider</th><th>Upstream model</th><th>API base</th><th>Key</th><th>Source</th><th>Test</th><th /></>}
        empty={{
          title: "No models yet",
          text: "Add a provider key here, or list models in a LiteLLM-style config.yaml (LAP_GATEWAY_CONFIG).",
          action: <button class="btn primary" onClick={() => setAdding(true)}>Add your first model</button>,
        }}
      >
        <For each={models()}>
          {(d) => (
            <tr data-testid="model-row">
              <td><strong>{d.model_name}</strong></td>
              <td><span class="badge">{d.model_info.provider === "anthropic" ? "Anthropic" : "OpenAI-compatible"}</span></td>
              <td class="mono">{d.litellm_params.model}</td>
              <td class="mono muted">{d.litellm_params.api_base}</td>
              <td>{d.model_info.has_api_key ? <span class="badge ok">stored</span> : <span class="muted">none</span>}</td>
              <td class="muted">{d.model_info.source}</td>
              <td>
                {(() => {
                  const r = tests()[d.model_name];
                  if (r === "running") return <span class="muted">testing…</span>;
                  if (!r) return <button class="btn sm" onClick={() => runTest(d.model_name)} aria-label={`Test ${d.model_name}`}>Test</button>;
                  return (
                    <span data-testid="test-result" class={`badge ${r.ok ? "ok" : "err"}`} title={r.error ?? r.reply ?? ""}>
                      {r.ok ? `ok · ${r.latency_ms} ms` : `failed: ${r.error}`}
                    </span>
                  );
                })()}
              </td>
              <td style={{ "text-align": "right" }}>
                <Show when={d.model_info.source === "database"}>
                  <button class="btn sm danger" onClick={() => remove(d)} aria-label={`Remove ${d.model_name}`}>Remove</button>
                </Show>
              </td>
            </tr>
          )}
        </For>
      </ListCard>
      <Show when={adding()}>
        <AddModelDialog onClose={() => setAdding(false)} onAdded={() => { setAdding(false); refetch(); }} />
      </Show>
    </div>
  );
}

function AddModelDialog(props: { onClose: () => void; onAdded: () => void }) {
  const [name, setName] = createSignal("");
  const [provider, setProvider] = createSignal<"openai" | "anthropic">("openai");
  const [model, setModel] = createSignal("");
  const [base, setBase] = createSignal("");
  const [key, setKey] = createSignal("");
  const form = createApiForm();
  const submit = () =>
    form.submit(async () => {
      await gatewayApi.models.add({
        model_name: name(),
        litellm_params: { model: model() ? `${provider()}/${model()}` : "", api_base: base() || undefined, api_key: key() || undefined },
      });
      toast(`Added ${name()}`);
      props.onAdded();
    });
  return (
    <FormDialog title="Add model" submitLabel="Add model" busyLabel="Adding…" busy={form.busy()} onSubmit={submit} onClose={props.onClose}>
      <label class="field">
        Model name <span class="hint">what callers send as "model"</span>
        <input name="model_name" value={name()} onInput={(e) => setName(e.currentTarget.value)} placeholder="gpt-4o, claude-sonnet" />
        <form.FieldError field="model_name" />
      </label>
      <label class="field">
        Provider
        <select name="provider" value={provider()} onChange={(e) => setProvider(e.currentTarget.value as "openai" | "anthropic")}>
          <option value="openai">OpenAI-compatible (OpenAI, vLLM, Ollama, OpenRouter, LiteLLM)</option>
          <option value="anthropic">Anthropic</option>
        </select>
      </label>
      <label class="field">
        Upstream model
        <input name="upstream" value={model()} onInput={(e) => setModel(e.currentTarget.value)} placeholder="gpt-4o-mini, claude-sonnet-4-5" />
        <form.FieldError field="litellm_params.model" />
      </label>
      <label class="field">
        API base <span class="hint">optional for OpenAI and Anthropic</span>
        <input name="api_base" value={base()} onInput={(e) => setBase(e.currentTarget.value)} placeholder="https://api.openai.com/v1" />
        <form.FieldError field="litellm_params.api_base" />
      </label>
      <label class="field">
        Provider API key <span class="hint">encrypted at rest; never shown again</span>
        <input name="api_key" type="password" autocomplete="off" value={key()} onInput={(e) => setKey(e.currentTarget.value)} />
      </label>
      <form.FormError />
    </FormDialog>
  );
}
