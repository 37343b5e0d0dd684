import { A, useNavigate, useParams } from "@solidjs/router";
import { createResource, createSignal, For, onCleanup, Show } from "solid-js";
import { OutcomeBadge, quietRefresh, SessionLink } from "../components/automation";
import { ConfirmDialog, RevealSecretDialog } from "../components/forms";
import { ListCard } from "../components/list-card";
import { curlExample, sampleBody, TriggerForm } from "../components/TriggerForm";
import { CopyButton, ErrorAlert, toast } from "../components/ui";
import { api, type TriggerView } from "../lib/api";
import { timeAgo } from "../lib/format";
import { useCreate } from "../lib/shortcuts";

type Revealed = { trigger: TriggerView; secret: string };

/** The signing secret, once, with a request that uses it. */
function SecretDialog(props: { revealed: Revealed; onClose: () => void }) {
  const example = () => curlExample(props.revealed.trigger.url, props.revealed.secret, sampleBody(props.revealed.trigger.prompt_template));
  return (
    <RevealSecretDialog
      secret={props.revealed.secret}
      testId="trigger-secret"
      title="Copy the signing secret"
      what="signing secret"
      onClose={props.onClose}
    >
      Sign each webhook with it: <code>X-LAP-Signature: v1=HMAC-SHA256(secret, "v1:" + timestamp + ":" + body)</code> and{" "}
      <code>X-LAP-Timestamp</code> (unix seconds, within 5 minutes). For example:
      <pre class="snippet" data-testid="curl-example">
        {example()}
      </pre>
      <CopyButton value={example()} label="Copy example" />
    </RevealSecretDialog>
  );
}

function useTriggerActions(refresh: () => void) {
  const [deleting, setDeleting] = createSignal<TriggerView | null>(null);
  const [rotating, setRotating] = createSignal<TriggerView | null>(null);
  const [revealed, setRevealed] = createSignal<Revealed | null>(null);
  const toggle = async (t: TriggerView) => {
    await (t.status === "active" ? api.triggers.pause(t.id) : api.triggers.resume(t.id));
    toast(t.status === "active" ? `Paused ${t.name}` : `Resumed ${t.name}`);
    refresh();
  };
  const Dialogs = (p: { afterDelete: () => void }) => (
    <>
      <Show when={revealed()}>{(r) => <SecretDialog revealed={r()} onClose={() => setRevealed(null)} />}</Show>
      <Show when={deleting()}>
        {(t) => (
          <ConfirmDialog
            title={`Delete ${t().name}?`}
            confirmLabel="Delete trigger"
            action={async () => {
              await api.triggers.remove(t().id);
              toast(`Deleted ${t().name}`);
            }}
            onClose={() => setDeleting(null)}
            onDone={p.afterDelete}
          >
            Webhooks to its URL are refused from now on, and its delivery history goes. The sessions it started stay.
          </ConfirmDialog>
        )}
      </Show>
      <Show when={rotating()}>
        {(t) => (
          <ConfirmDialog
            title={`New secret for ${t().name}?`}
            confirmLabel="Replace secret"
            action={async () => {
              setRevealed(await api.triggers.rotateSecret(t().id));
            }}
            onClose={() => setRotating(null)}
            onDone={refresh}
          >
            The current secret stops working at once: update the sender with the new one.
          </ConfirmDialog>
        )}
      </Show>
    </>
  );
  return { setDeleting, setRotating, setRevealed, toggle, Dialogs };
}

export function Triggers() {
  const [triggers, { refetch }] = createResource(api.triggers.list);
  const [editing, setEditing] = createSignal<TriggerView | "new" | null>(null);
  const actions = useTriggerActions(refetch);
  useCreate(() => setEditing("new"));
  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1>Webhook triggers</h1>
          <p>A signed POST to a trigger's URL becomes a prompt for its agent; LAP answers 202 with the session at once.</p>
        </div>
        <button class="btn primary" onClick={() => setEditing("new")}>
          New trigger <span class="kbd">c</span>
        </button>
      </div>
      <ListCard
        items={triggers}
        retry={refetch}
        colCount={5}
        columns={
          <>
            <th>Name</th>
            <th>URL</th>
            <th>Last delivery</th>
            <th>Status</th>
            <th />
          </>
        }
        empty={{
          title: "No webhook triggers yet",
          text: "Let GitHub, CI or any service hand work to an agent: each signed webhook starts a turn.",
          action: (
            <button class="btn primary" onClick={() => setEditing("new")}>
              Create your first trigger
            </button>
          ),
        }}
      >
        <For each={triggers()}>
          {(t) => (
            <tr data-testid="trigger-row">
              <td>
                <A href={`/triggers/${t.id}`}>{t.name}</A>
                <div class="muted">{t.agent_name ?? t.agent_id}</div>
              </td>
              <td>
                <span class="mono">{t.url}</span> <CopyButton value={t.url} label="Copy URL" />
              </td>
              <td title={t.last_delivery_at ?? ""}>{timeAgo(t.last_delivery_at)}</td>
              <td>
                <span class={`badge ${t.status === "active" ? "ok" : "warn"}`}>{t.status}</span>
              </td>
              <td style={{ "text-align": "right", "white-space": "nowrap" }}>
                <button
                  class="btn sm"
                  onClick={() => actions.toggle(t)}
                  aria-label={`${t.status === "active" ? "Pause" : "Resume"} ${t.name}`}
                >
                  {t.status === "active" ? "Pause" : "Resume"}
                </button>{" "}
                <button class="btn sm" onClick={() => setEditing(t)} aria-label={`Edit ${t.name}`}>
                  Edit
                </button>{" "}
                <button class="btn sm" onClick={() => actions.setRotating(t)} aria-label={`New secret for ${t.name}`}>
                  New secret
                </button>{" "}
                <button class="btn sm danger" onClick={() => actions.setDeleting(t)} aria-label={`Delete ${t.name}`}>
                  Delete
                </button>
              </td>
            </tr>
          )}
        </For>
      </ListCard>
      <Show when={editing()}>
        {(e) => (
          <TriggerForm
            trigger={e() === "new" ? null : (e() as TriggerView)}
            onClose={() => setEditing(null)}
            onSaved={(t, secret) => {
              setEditing(null);
              if (secret) actions.setRevealed({ trigger: t, secret });
              refetch();
            }}
          />
        )}
      </Show>
      <actions.Dialogs afterDelete={refetch} />
    </div>
  );
}

export function TriggerDetail() {
  const params = useParams();
  const navigate = useNavigate();
  const [trigger, { refetch }] = createResource(() => params.id, api.triggers.get);
  const [deliveries, { refetch: refetchDeliveries }] = createResource(
    () => params.id,
    (id) => api.triggers.deliveries(id).then((r) => r.data),
  );
  const [editing, setEditing] = createSignal(false);
  const refresh = () => {
    refetch();
    refetchDeliveries();
  };
  const actions = useTriggerActions(refresh);
  // New deliveries arrive from outside: keep the list current while the page is open.
  const poll = setInterval(refetchDeliveries, 3000);
  onCleanup(() => clearInterval(poll));
  return (
    <div class="page">
      <Show when={trigger.error}>
        <ErrorAlert error={trigger.error} retry={refetch} />
      </Show>
      <Show when={trigger()}>
        {(t) => (
          <>
            <div class="page-head">
              <div>
                <h1>{t().name}</h1>
                <p>
                  {t().agent_name ?? t().agent_id} · <span class={`badge ${t().status === "active" ? "ok" : "warn"}`}>{t().status}</span> ·{" "}
                  {t().session_mode === "new" ? "a new session per webhook" : "continues one session"}
                </p>
              </div>
              <div style={{ "white-space": "nowrap" }}>
                <button class="btn" onClick={() => actions.toggle(t())}>
                  {t().status === "active" ? "Pause" : "Resume"}
                </button>{" "}
                <button class="btn" onClick={() => setEditing(true)}>
                  Edit
                </button>{" "}
                <button class="btn" onClick={() => actions.setRotating(t())}>
                  New secret
                </button>{" "}
                <button class="btn danger" onClick={() => actions.setDeleting(t())}>
                  Delete
                </button>
              </div>
            </div>
            <div class="card card-pad" style={{ "margin-bottom": "16px" }}>
              <div class="muted">URL</div>
              <div class="secret-box">
                <code>{t().url}</code>
                <CopyButton value={t().url} />
              </div>
              <div class="muted" style={{ "margin-top": "10px" }}>
                Prompt template
              </div>
              <pre class="snippet">{t().prompt_template}</pre>
              <div class="muted" style={{ "margin-top": "10px" }}>
                Callback
              </div>
              {t().callback_url ? <span class="mono">{t().callback_url}</span> : <span class="muted">none</span>}
            </div>
            <h2>Deliveries</h2>
            <ListCard
              items={quietRefresh(deliveries)}
              retry={refetchDeliveries}
              colCount={5}
              columns={
                <>
                  <th>Received</th>
                  <th>Outcome</th>
                  <th>Session</th>
                  <th>Callback</th>
                  <th>Idempotency key</th>
                </>
              }
              empty={{ title: "No deliveries yet", text: "Webhooks this trigger accepted appear here, with the session each one started." }}
            >
              <For each={deliveries()}>
                {(d) => (
                  <tr data-testid="delivery-row">
                    <td title={d.received_at}>{timeAgo(d.received_at)}</td>
                    <td>
                      <OutcomeBadge status={d.status} />
                      <Show when={d.error}>
                        <div class="muted">{d.error}</div>
                      </Show>
                    </td>
                    <td>
                      <SessionLink id={d.session_id} />
                    </td>
                    <td>
                      <Show when={d.callback_status !== "none"} fallback={<span class="muted">none</span>}>
                        <OutcomeBadge status={d.callback_status} />{" "}
                        <span class="muted">
                          {d.callback_attempts} attempt{d.callback_attempts === 1 ? "" : "s"}
                        </span>
                        <Show when={d.callback_error}>
                          <div class="muted">{d.callback_error}</div>
                        </Show>
                      </Show>
                    </td>
                    <td class="mono muted">{d.idempotency_key.startsWith("sig:") ? "(from the signature)" : d.idempotency_key}</td>
                  </tr>
                )}
              </For>
            </ListCard>
            <Show when={editing()}>
              <TriggerForm
                trigger={t()}
                onClose={() => setEditing(false)}
                onSaved={() => {
                  setEditing(false);
                  refresh();
                }}
              />
            </Show>
          </>
        )}
      </Show>
      <actions.Dialogs afterDelete={() => navigate("/triggers")} />
    </div>
  );
}
