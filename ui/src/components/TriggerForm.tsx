import { createResource, createSignal, For } from "solid-js";
import { api, type TriggerView } from "../lib/api";
import { createApiForm, FormDialog } from "./forms";
import { toast } from "./ui";

/** Create or edit a webhook trigger: the agent, the prompt template, sessions and an optional callback. */
export function TriggerForm(props: {
  trigger: TriggerView | null;
  onClose: () => void;
  onSaved: (t: TriggerView, secret?: string) => void;
}) {
  const t = props.trigger;
  const [agents] = createResource(() => api.agents.list());
  const [v, setV] = createSignal({
    name: t?.name ?? "",
    agent_id: t?.agent_id ?? "",
    prompt_template: t?.prompt_template ?? "Triage this issue: {{body.issue.title}}\n\n{{body.issue.body}}",
    session_mode: t?.session_mode ?? "new",
    callback_url: t?.callback_url ?? "",
  });
  const set = (k: keyof ReturnType<typeof v>) => (e: { currentTarget: { value: string } }) => setV({ ...v(), [k]: e.currentTarget.value });
  const form = createApiForm();
  const submit = () =>
    form.submit(async () => {
      const f = v();
      const body = { ...f, session_mode: f.session_mode as "new" | "continue", callback_url: f.callback_url.trim() || null };
      if (t) {
        const saved = await api.triggers.update(t.id, body);
        toast(`Saved ${saved.name}`);
        props.onSaved(saved);
      } else {
        const created = await api.triggers.create(body);
        props.onSaved(created.trigger, created.secret);
      }
    });
  return (
    <FormDialog
      title={t ? `Edit ${t.name}` : "New webhook trigger"}
      submitLabel={t ? "Save" : "Create trigger"}
      busyLabel="Saving…"
      busy={form.busy()}
      onSubmit={submit}
      onClose={props.onClose}
    >
      <label class="field">
        Name
        <input name="name" value={v().name} onInput={set("name")} placeholder="github issues" aria-invalid={form.invalid("name")} />
        <form.FieldError field="name" />
      </label>
      <label class="field">
        Agent
        <select name="agent_id" value={v().agent_id} onChange={set("agent_id")} aria-invalid={form.invalid("agent_id")}>
          <option value="">Choose an agent</option>
          <For each={agents() ?? []}>{(a) => <option value={a.id}>{a.name}</option>}</For>
        </select>
        <form.FieldError field="agent_id" />
      </label>
      <label class="field">
        Prompt template{" "}
        <span class="hint">
          {"{{body.field.sub}}, {{body.items[0]}} or {{body}} print parts of the webhook's JSON; nothing else is evaluated"}
        </span>
        <textarea
          name="prompt_template"
          rows={4}
          class="mono"
          value={v().prompt_template}
          onInput={set("prompt_template")}
          aria-invalid={form.invalid("prompt_template")}
        />
        <form.FieldError field="prompt_template" />
      </label>
      <label class="field">
        Sessions
        <select name="session_mode" value={v().session_mode} onChange={set("session_mode")}>
          <option value="new">a new session for every webhook</option>
          <option value="continue">continue one session</option>
        </select>
      </label>
      <label class="field">
        Callback URL{" "}
        <span class="hint">
          optional: LAP POSTs the outcome here when the turn ends, signed with the same secret (public https addresses)
        </span>
        <input
          name="callback_url"
          value={v().callback_url}
          onInput={set("callback_url")}
          placeholder="https://ci.example.com/hooks/lap"
          aria-invalid={form.invalid("callback_url")}
        />
        <form.FieldError field="callback_url" />
      </label>
      <form.FormError />
    </FormDialog>
  );
}

/** A body that fills the template's placeholders, for the example request. */
export function sampleBody(template: string): unknown {
  const root: Record<string, unknown> = {};
  for (const m of template.matchAll(/\{\{\s*body((?:\.[A-Za-z0-9_-]+|\[\d+\])+)\s*\}\}/g)) {
    const parts = [...m[1]!.matchAll(/\.([A-Za-z0-9_-]+)|\[(\d+)\]/g)].map((p) => p[1] ?? Number(p[2]));
    let cur: Record<string | number, unknown> = root;
    parts.forEach((p, i) => {
      const last = i === parts.length - 1;
      const nextIsIndex = typeof parts[i + 1] === "number";
      if (last) cur[p] ??= `example ${parts.join(".")}`;
      else cur[p] ??= nextIsIndex ? [] : {};
      cur = cur[p] as Record<string | number, unknown>;
    });
  }
  return Object.keys(root).length ? root : { text: "hello from a webhook" };
}

/** A shell example that signs and sends a webhook, as docs/schedules.md describes. */
export function curlExample(url: string, secret: string, body: unknown): string {
  return [
    `URL='${url}'`,
    `SECRET='${secret}'`,
    `BODY='${JSON.stringify(body)}'`,
    `TS=$(date +%s)`,
    `SIG=$(printf 'v1:%s:%s' "$TS" "$BODY" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.* //')`,
    `curl -sS -X POST "$URL" \\`,
    `  -H 'content-type: application/json' \\`,
    `  -H "x-lap-timestamp: $TS" \\`,
    `  -H "x-lap-signature: v1=$SIG" \\`,
    `  -H "idempotency-key: $(openssl rand -hex 12)" \\`,
    `  -d "$BODY"`,
  ].join("\n");
}
