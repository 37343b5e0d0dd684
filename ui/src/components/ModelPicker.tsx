import { A } from "@solidjs/router";
import { createResource, createSignal, For, Show } from "solid-js";
import { api, type DeploymentView, type ModelTest } from "../lib/api";
import { timeAgo } from "../lib/format";

/** The last Test of a model: kept by LAP, so it reads the same here and in the agent form. */
export function TestResult(props: { test: ModelTest | null | undefined }) {
  return (
    <Show
      when={props.test}
      fallback={
        <span class="muted" data-testid="test-result">
          not tested
        </span>
      }
    >
      {(t) => (
        <span
          class="test-result"
          data-testid="test-result"
          title={`${t().error ?? "answered"} · ${new Date(t().checked_at).toLocaleString()}`}
        >
          <span class={`badge ${t().ok ? "ok" : "err"}`}>
            {t().ok ? `ok · ${t().latency_ms} ms` : "failed"} · {timeAgo(t().checked_at)}
          </span>
          <Show when={!t().ok && t().error}>
            <span class="test-error">{t().error!.length > 120 ? `${t().error!.slice(0, 120)}…` : t().error}</span>
          </Show>
        </span>
      )}
    </Show>
  );
}

/** One entry per model name (a name may have several deployments), wildcard groups left out. */
export function gatewayModelNames(deployments: DeploymentView[]): Array<{ name: string; test: DeploymentView["model_info"]["last_test"] }> {
  const byName = new Map<string, DeploymentView["model_info"]["last_test"]>();
  for (const d of deployments) {
    if (d.model_name.includes("*")) continue;
    const test = d.model_info.last_test ?? null;
    const seen = byName.get(d.model_name);
    if (!byName.has(d.model_name) || (test && (!seen || test.checked_at > seen.checked_at))) byName.set(d.model_name, test);
  }
  return [...byName.entries()].map(([name, test]) => ({ name, test })).sort((a, b) => a.name.localeCompare(b.name));
}

const OTHER = "\u0000other";

/**
 * The agent form's model: on a sandbox runtime every call goes through LAP's gateway, so it is one of
 * the gateway's models (each with its last Test), never free text that may not exist; a gateway with
 * wildcard groups (`openai/*`) also takes another name. A remote runtime names its own models.
 */
export function ModelPicker(props: { value: string; onChange: (model: string) => void; throughGateway: boolean; error?: string }) {
  const [deployments] = createResource(
    () => props.throughGateway || undefined,
    () => api.gateway.models.list().catch(() => [] as DeploymentView[]),
  );
  const names = () => gatewayModelNames(deployments() ?? []);
  const wildcards = () => (deployments() ?? []).filter((d) => d.model_name.includes("*")).map((d) => d.model_name);
  const known = () => names().some((m) => m.name === props.value);
  const [other, setOther] = createSignal(false);
  const selected = () => (other() ? OTHER : props.value);
  return (
    <Show
      when={props.throughGateway}
      fallback={
        <label class="field">
          Model <span class="hint">the remote runtime's own model id</span>
          <input name="model" value={props.value} onInput={(e) => props.onChange(e.currentTarget.value)} placeholder="claude-sonnet-4-5" />
          <Show when={props.error}>
            <span class="field-error">{props.error}</span>
          </Show>
        </label>
      }
    >
      <label class="field">
        Model <span class="hint">a model of this LAP's gateway: every call the agent makes goes through it</span>
        <Show
          when={!deployments.loading}
          fallback={
            <select name="model" disabled>
              <option>Loading models…</option>
            </select>
          }
        >
          <Show
            when={names().length || wildcards().length}
            fallback={
              <div class="alert" data-testid="no-gateway-models">
                This gateway has no models yet. <A href="/gateway/models">Add one under Models &amp; providers</A> first; an agent needs a
                model to answer.
              </div>
            }
          >
            <select
              name="model"
              value={selected()}
              aria-invalid={props.error ? "true" : undefined}
              onChange={(e) => {
                const v = e.currentTarget.value;
                setOther(v === OTHER);
                if (v !== OTHER) props.onChange(v);
              }}
            >
              <option value="" disabled>
                Choose a model…
              </option>
              <For each={names()}>
                {(m) => (
                  <option value={m.name}>
                    {m.name} — {m.test ? (m.test.ok ? `tested ok (${m.test.latency_ms} ms)` : "last test failed") : "not tested yet"}
                  </option>
                )}
              </For>
              <Show when={props.value && !known() && !other()}>
                <option value={props.value}>{props.value} (not on this gateway)</option>
              </Show>
              <Show when={wildcards().length}>
                <option value={OTHER}>Another name ({wildcards().join(", ")})…</option>
              </Show>
            </select>
            <Show when={other()}>
              <input
                name="model_other"
                aria-label="Model name"
                value={props.value}
                onInput={(e) => props.onChange(e.currentTarget.value)}
                placeholder={wildcards()[0]?.replace("*", "model-name")}
              />
            </Show>
            <Show when={names().find((m) => m.name === props.value)}>
              {(m) => (
                <span class="hint" data-testid="model-last-test">
                  Last test: <TestResult test={m().test} />{" "}
                  <A href={`/gateway/models?model=${encodeURIComponent(m().name)}`}>{m().test ? "Test again" : "Test it"}</A>
                </span>
              )}
            </Show>
          </Show>
        </Show>
        <Show when={props.error}>
          <span class="field-error">{props.error}</span>
        </Show>
      </label>
    </Show>
  );
}
