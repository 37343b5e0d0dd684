import { A } from "@solidjs/router";
import { createResource, createSignal, For, Show } from "solid-js";
import { type AgentView, api, ApiError, type CreateAgentInput } from "../lib/api";
import { approvalToolHint } from "../lib/approval-tools";
import { parseNumberField } from "../lib/number-field";
import { ContextPicker } from "./ContextPicker";
import { ModelPicker } from "./ModelPicker";
import { SubagentPicker } from "./SubagentPicker";
import { Dialog, toast } from "./ui";

const lines = (s: string) =>
  s
    .split(/[\n,]/)
    .map((x) => x.trim())
    .filter(Boolean);

/** Creates or edits an agent: harness, runtime, model, prompt, tools, context, sub-agents, limits. */
export function AgentForm(props: { agent: AgentView | null; model?: string; onClose: () => void; onSaved: (a: AgentView) => void }) {
  const a = props.agent;
  const [runtimes] = createResource(api.runtimes.list);
  const [harnesses] = createResource(api.harnesses.list);
  // Members may not list the vault (admins attach secrets); their form simply offers none.
  const [vault] = createResource(() => api.vault.list().catch(() => []));
  const [vaultKeys, setVaultKeys] = createSignal<string[]>(a?.vault_keys ?? []);
  const [skillIds, setSkillIds] = createSignal<string[]>(a?.skill_ids ?? []);
  const [ruleIds, setRuleIds] = createSignal<string[]>(a?.rule_ids ?? []);
  const [subagents, setSubagents] = createSignal<string[]>(a?.subagent_ids ?? []);
  const [platformTools, setPlatformTools] = createSignal(a?.platform_tools ?? true);
  const toggleKey = (name: string, on: boolean) => setVaultKeys(on ? [...vaultKeys(), name] : vaultKeys().filter((k) => k !== name));
  const [v, setV] = createSignal({
    name: a?.name ?? "",
    description: a?.description ?? "",
    // Never pre-filled with a model this gateway may not have (the picker offers the ones it has).
    model: a?.model ?? props.model ?? "",
    system_prompt: a?.system_prompt ?? "",
    runtime_id: a ? (a.runtime_id ?? "") : "rt_local_sandbox",
    harness: a?.harness && a.harness !== "default" ? a.harness : "builtin",
    tools: (a?.tools ?? []).join(", "),
    approval_required_tools: (a?.approval_required_tools ?? []).join(", "),
    mcp: (a?.mcp_servers ?? []).map((m) => `${m.name} ${m.url}`).join("\n"),
    repo_url: a?.repo_url ?? "",
    repo_branch: a?.repo_branch ?? "",
    max_runtime_minutes: String(a?.max_runtime_minutes ?? 30),
    idle_timeout_minutes: String(a?.idle_timeout_minutes ?? 60),
    egress: (a?.egress_allow_hosts ?? []).join("\n"),
    generate_titles: a?.generate_titles ?? true,
  });
  const runtimeProtocol = () => (runtimes() ?? []).find((r) => r.id === v().runtime_id)?.protocol;
  const sandboxRuntime = () => runtimeProtocol() === "sandbox";
  const approvalHint = () => approvalToolHint(v().harness, sandboxRuntime() ? "sandbox" : runtimeProtocol() ? "remote" : "none");
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [busy, setBusy] = createSignal(false);
  const set = (k: keyof ReturnType<typeof v>) => (e: { currentTarget: { value: string } }) => setV({ ...v(), [k]: e.currentTarget.value });
  const submit = async () => {
    const f = v();
    // Checked here too (the API refuses the same), so nothing is sent that cannot be right.
    const local: Record<string, string> = {};
    if (!f.model.trim()) local.model = "required: the model the agent calls";
    for (const [k, label] of [
      ["max_runtime_minutes", "minutes"],
      ["idle_timeout_minutes", "minutes"],
    ] as const) {
      const n = parseNumberField(f[k], { integer: true, min: 1, unit: label });
      if (!n.ok) local[k] = n.message;
      else if (n.value === null) local[k] = "required: a number of minutes";
    }
    if (Object.keys(local).length) {
      setErrors(local);
      return;
    }
    setBusy(true);
    setErrors({});
    const body: CreateAgentInput = {
      name: f.name,
      description: f.description,
      model: f.model,
      system_prompt: f.system_prompt,
      runtime_id: f.runtime_id || null,
      harness: f.harness,
      tools: lines(f.tools),
      approval_required_tools: lines(f.approval_required_tools),
      mcp_servers: f.mcp
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean)
        .map((l) => {
          const [name = "", url = ""] = l.split(/\s+/);
          return { name, url };
        }),
      repo_url: f.repo_url || null,
      repo_branch: f.repo_branch || null,
      max_runtime_minutes: Number(f.max_runtime_minutes),
      idle_timeout_minutes: Number(f.idle_timeout_minutes),
      egress_allow_hosts: f.egress
        .split(/[\s,]+/)
        .map((x) => x.trim())
        .filter(Boolean),
      vault_keys: vaultKeys(),
      skill_ids: skillIds(),
      rule_ids: ruleIds(),
      subagent_ids: subagents(),
      platform_tools: platformTools(),
      generate_titles: f.generate_titles,
    };
    try {
      const saved = a ? await api.agents.update(a.id, body) : await api.agents.create(body);
      toast(a ? `Saved ${saved.name}` : `Created ${saved.name}`);
      props.onSaved(saved);
    } catch (err) {
      if (err instanceof ApiError && err.fields.length)
        setErrors(Object.fromEntries(err.fields.map((x) => [x.field.split(".")[0]!, x.message])));
      else setErrors({ _: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };
  const err = (name: string) => (
    <Show when={errors()[name]}>
      <span class="field-error">{errors()[name]}</span>
    </Show>
  );
  return (
    <Dialog
      title={a ? `Edit ${a.name}` : "New agent"}
      onSubmit={submit}
      onClose={props.onClose}
      footer={
        <>
          <button class="btn" type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button class="btn primary" type="submit" disabled={busy()}>
            {busy() ? "Saving…" : a ? "Save" : "Create agent"}
          </button>
        </>
      }
    >
      <label class="field">
        Name
        <input name="name" value={v().name} onInput={set("name")} />
        {err("name")}
      </label>
      <label class="field">
        Description
        <input name="description" value={v().description} onInput={set("description")} />
        {err("description")}
      </label>
      <ModelPicker
        value={v().model}
        onChange={(model) => setV({ ...v(), model })}
        throughGateway={sandboxRuntime() || !runtimeProtocol()}
        error={errors().model}
      />
      <label class="field">
        Runtime
        <select name="runtime_id" value={v().runtime_id} onChange={set("runtime_id")}>
          <option value="">(none)</option>
          <For each={runtimes() ?? []}>{(r) => <option value={r.id}>{r.alias}</option>}</For>
        </select>
        {err("runtime_id")}
      </label>
      <Show when={sandboxRuntime()}>
        <fieldset class="field harness-picker">
          <legend>
            Harness <span class="hint">what runs in the agent's sandbox; every model call goes through LAP's gateway</span>
          </legend>
          <For each={harnesses() ?? []}>
            {(h) => (
              <label class="harness-option" classList={{ disabled: !h.installed }}>
                <input
                  type="radio"
                  name="harness"
                  value={h.id}
                  checked={v().harness === h.id}
                  disabled={!h.installed}
                  onChange={set("harness")}
                />
                <span>
                  <strong>{h.label}</strong> <span class="muted">{h.description}</span>
                  <Show when={!h.installed}>
                    <span class="field-error"> {h.problem ?? "not installed"}</span>
                  </Show>
                </span>
              </label>
            )}
          </For>
          {err("harness")}
        </fieldset>
      </Show>
      <label class="field">
        System prompt
        <textarea name="system_prompt" rows={4} value={v().system_prompt} onInput={set("system_prompt")} />
        {err("system_prompt")}
      </label>
      <label class="field">
        Tools <span class="hint">comma separated</span>
        <input name="tools" value={v().tools} onInput={set("tools")} />
        {err("tools")}
      </label>
      <label class="field">
        Ask before using <span class="hint">tools that wait for a person to allow each call, comma separated</span>
        <input name="approval_required_tools" value={v().approval_required_tools} onInput={set("approval_required_tools")} />
        <span class="hint" data-testid="approval-tools-hint" classList={{ "field-error": !approvalHint().asks }}>
          {approvalHint().text}
        </span>
        {err("approval_required_tools")}
      </label>
      <ContextPicker kind="rules" value={ruleIds()} onChange={setRuleIds} error={errors().rule_ids} />
      <ContextPicker kind="skills" value={skillIds()} onChange={setSkillIds} error={errors().skill_ids} />
      <label class="field">
        MCP servers <span class="hint">one per line: name url</span>
        <textarea name="mcp" rows={2} value={v().mcp} onInput={set("mcp")} />
        {err("mcp_servers")}
      </label>
      <label class="field">
        Egress allow-list <span class="hint">hosts the sandbox may reach, one per line (pypi.org, *.npmjs.org); empty blocks all</span>
        <textarea name="egress_allow_hosts" rows={2} value={v().egress} onInput={set("egress")} />
        {err("egress_allow_hosts")}
      </label>
      <fieldset class="field key-picker">
        <legend>
          Vault keys <span class="hint">the sandbox sees a stub; the real value goes only to the secret's bound hosts</span>
        </legend>
        <Show
          when={(vault() ?? []).length || vaultKeys().length}
          fallback={
            <span class="muted">
              No secrets in the vault yet. Add them on the <A href="/vault">Vault</A> page.
            </span>
          }
        >
          <div class="pick-list" role="group" aria-label="Vault keys">
            <For each={[...new Set([...(vault() ?? []).map((s) => s.name), ...vaultKeys()])]}>
              {(name) => {
                const secret = () => (vault() ?? []).find((s) => s.name === name);
                return (
                  <label>
                    <input
                      type="checkbox"
                      name="vault_keys"
                      value={name}
                      checked={vaultKeys().includes(name)}
                      onChange={(e) => toggleKey(name, e.currentTarget.checked)}
                    />
                    <span class="mono">{name}</span>
                    <Show when={secret()} fallback={<span class="field-error">not in the vault</span>}>
                      {(s) => (
                        <span class="chips">
                          <For each={s().hosts}>{(h) => <span class="chip">{h}</span>}</For>
                        </span>
                      )}
                    </Show>
                  </label>
                );
              }}
            </For>
          </div>
        </Show>
        {err("vault_keys")}
      </fieldset>
      <SubagentPicker
        agentId={a?.id ?? null}
        value={subagents()}
        onChange={setSubagents}
        platformTools={platformTools()}
        onPlatformTools={setPlatformTools}
        error={errors().subagent_ids}
      />
      <label class="field">
        Repository URL
        <input name="repo_url" value={v().repo_url} onInput={set("repo_url")} />
        {err("repo_url")}
      </label>
      <label class="field">
        Branch
        <input name="repo_branch" value={v().repo_branch} onInput={set("repo_branch")} />
        {err("repo_branch")}
      </label>
      <label class="field">
        Max runtime (minutes)
        <input name="max_runtime_minutes" inputmode="numeric" value={v().max_runtime_minutes} onInput={set("max_runtime_minutes")} />
        {err("max_runtime_minutes")}
      </label>
      <label class="field">
        Idle timeout (minutes)
        <input name="idle_timeout_minutes" inputmode="numeric" value={v().idle_timeout_minutes} onInput={set("idle_timeout_minutes")} />
        {err("idle_timeout_minutes")}
      </label>
      <label class="muted" title="Only when LAP_TITLE_MODEL is set (docs/sessions.md, Titles)">
        <input
          type="checkbox"
          name="generate_titles"
          checked={v().generate_titles}
          onChange={(e) => setV({ ...v(), generate_titles: e.currentTarget.checked })}
        />{" "}
        Title sessions after their first turn
      </label>
      <Show when={errors()._}>
        <div class="field-error">{errors()._}</div>
      </Show>
    </Dialog>
  );
}
