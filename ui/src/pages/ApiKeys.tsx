import { A } from "@solidjs/router";
import { createResource, createSignal, For, Show } from "solid-js";
import { ConfirmDialog, createApiForm, FormDialog, RevealSecretDialog } from "../components/forms";
import { ListCard } from "../components/list-card";
import { toast } from "../components/ui";
import { api, type ApiKeyView } from "../lib/api";
import { timeAgo } from "../lib/format";
import { useCreate } from "../lib/shortcuts";

const statusClass = { active: "ok", expired: "warn", revoked: "err" } as const;

/** What each kind may do (docs/security.md "Keys and what each kind may do"). */
const KIND_HINT: Record<ApiKeyView["kind"], string> = {
  admin: "Everything, and signs in here",
  user: "The API for its own agents and sessions, the LLM gateway and MCP",
  gateway: "A virtual key: the LLM gateway and MCP only",
  session: "Minted for one agent session: its model calls and its agent's MCP servers only",
};

export function ApiKeys() {
  const [keys, { refetch }] = createResource(api.keys.list);
  const [creating, setCreating] = createSignal(false);
  const [revealed, setRevealed] = createSignal<{ key: ApiKeyView; token: string } | null>(null);
  const [revoking, setRevoking] = createSignal<ApiKeyView | null>(null);
  const [endingSessions, setEndingSessions] = createSignal(false);
  useCreate(() => setCreating(true));

  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1>API keys</h1>
          <p>
            Keys for LAP's management API and the <span class="mono">lap</span> CLI (admin keys also sign in here). Stored hashed: a key is
            shown once, when it is created.
          </p>
        </div>
        <span>
          <button class="btn" onClick={() => setEndingSessions(true)}>
            End all dashboard sessions
          </button>{" "}
          <button class="btn primary" onClick={() => setCreating(true)}>
            Create key <span class="kbd">c</span>
          </button>
        </span>
      </div>
      <p class="callout" data-testid="keys-explained">
        <strong>API keys or gateway keys?</strong> An API key manages LAP (agents, sessions, keys) and can call models too. A key that
        should only call models, with its own budget, model list and rate limits, is a <A href="/gateway/keys">gateway key</A>; so is the
        key LAP makes for each agent session. Those are listed there, not here.
      </p>
      <ListCard
        items={keys}
        retry={refetch}
        colCount={8}
        columns={
          <>
            <th>Label</th>
            <th>Key</th>
            <th>Kind</th>
            <th>Status</th>
            <th>Created</th>
            <th>Last used</th>
            <th>Expires</th>
            <th />
          </>
        }
        empty={{
          title: "No API keys yet",
          text: "Create a key for CI, a teammate, or an agent. Admin keys can also sign in here.",
          action: (
            <button class="btn primary" onClick={() => setCreating(true)}>
              Create your first key
            </button>
          ),
        }}
      >
        <For each={keys()}>
          {(k) => (
            <tr data-testid="key-row">
              <td>{k.label}</td>
              <td class="mono muted">{k.prefix}…</td>
              <td>
                <span class={`badge ${k.kind === "admin" ? "accent" : ""}`} title={KIND_HINT[k.kind]} data-testid="key-kind">
                  {k.kind}
                </span>
              </td>
              <td>
                <span class={`badge ${statusClass[k.status]}`}>{k.status}</span>
              </td>
              <td title={k.created_at}>{timeAgo(k.created_at)}</td>
              <td title={k.last_used_at ?? ""}>{timeAgo(k.last_used_at)}</td>
              <td title={k.expires_at ?? ""}>
                {k.expires_at ? new Date(k.expires_at).toLocaleDateString() : <span class="muted">never</span>}
              </td>
              <td style={{ "text-align": "right" }}>
                <Show when={k.status === "active"}>
                  <button class="btn sm danger" onClick={() => setRevoking(k)} aria-label={`Revoke ${k.label}`}>
                    Revoke
                  </button>
                </Show>
              </td>
            </tr>
          )}
        </For>
      </ListCard>

      <Show when={creating()}>
        <CreateKeyDialog
          onClose={() => setCreating(false)}
          onCreated={(created) => {
            setCreating(false);
            setRevealed(created);
            refetch();
          }}
        />
      </Show>
      <Show when={revealed()}>
        {(r) => (
          <RevealSecretDialog secret={r().token} testId="new-key" onClose={() => setRevealed(null)}>
            Use it as <code>Authorization: Bearer …</code> or <code>x-api-key</code>.
          </RevealSecretDialog>
        )}
      </Show>
      <Show when={revoking()}>
        {(k) => (
          <ConfirmDialog
            title={`Revoke “${k().label}”?`}
            confirmLabel="Revoke key"
            action={async () => {
              await api.keys.revoke(k().id);
              toast(`Revoked ${k().label}`);
            }}
            onClose={() => setRevoking(null)}
            onDone={refetch}
          >
            Anything using this key stops working immediately, and dashboard sessions signed in with it end. This cannot be undone.
          </ConfirmDialog>
        )}
      </Show>
      <Show when={endingSessions()}>
        <ConfirmDialog
          title="End all dashboard sessions?"
          confirmLabel="End all sessions"
          action={async () => {
            const { revoked } = await api.auth.endAllSessions();
            toast(`Ended ${revoked} dashboard session${revoked === 1 ? "" : "s"}`);
          }}
          onClose={() => setEndingSessions(false)}
          // The next call is refused (this session ended too), which takes the page to the login.
          onDone={refetch}
        >
          Everyone signed in to this dashboard, you included, is signed out at once and has to sign in again with a key.
        </ConfirmDialog>
      </Show>
    </div>
  );
}

function CreateKeyDialog(props: { onClose: () => void; onCreated: (c: { key: ApiKeyView; token: string }) => void }) {
  const [label, setLabel] = createSignal("");
  const [kind, setKind] = createSignal<"admin" | "user">("user");
  const [expires, setExpires] = createSignal("");
  const form = createApiForm();
  const submit = () =>
    form.submit(async () => {
      const created = await api.keys.create({
        label: label(),
        kind: kind(),
        expires_at: expires() ? new Date(`${expires()}T23:59:59`).toISOString() : undefined,
      });
      props.onCreated(created);
    });
  return (
    <FormDialog
      title="Create API key"
      submitLabel="Create key"
      busyLabel="Creating…"
      busy={form.busy()}
      onSubmit={submit}
      onClose={props.onClose}
    >
      <label class="field">
        Label
        <input
          name="label"
          value={label()}
          onInput={(e) => setLabel(e.currentTarget.value)}
          placeholder="ci, alice-laptop, slack-bot"
          aria-invalid={form.invalid("label")}
        />
        <form.FieldError field="label" />
      </label>
      <label class="field">
        Kind <span class="hint">gateway keys: the Gateway keys page</span>
        <select name="kind" value={kind()} onChange={(e) => setKind(e.currentTarget.value as "admin" | "user")}>
          <option value="user">user: the API for its own agents and sessions, and the gateway</option>
          <option value="admin">admin: everything, and signs in here</option>
        </select>
      </label>
      <label class="field">
        Expires <span class="hint">optional; the key stops working after this day</span>
        <input
          name="expires"
          type="date"
          value={expires()}
          onInput={(e) => setExpires(e.currentTarget.value)}
          aria-invalid={form.invalid("expires_at")}
        />
        <form.FieldError field="expires_at" />
      </label>
      <form.FormError />
    </FormDialog>
  );
}
