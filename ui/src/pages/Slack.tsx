import { useSearchParams } from "@solidjs/router";
import { createResource, createSignal, For, Show } from "solid-js";
import { ConfirmDialog } from "../components/forms";
import { ListCard } from "../components/list-card";
import { CopyButton, ErrorAlert, toast } from "../components/ui";
import { api } from "../lib/api";
import { timeAgo } from "../lib/format";
import { BindingsCard } from "./slack/Bindings";
import { AllowlistCard } from "./slack/Allowlist";

const statusClass: Record<string, string> = {
  answered: "ok",
  enqueued: "accent",
  processing: "accent",
  pending: "",
  failed: "err",
  blocked: "warn",
  ignored: "",
};

/** Slack bot: connect a workspace, the app manifest, who answers where, DM access, recent messages. */
export function Slack() {
  const [params] = useSearchParams();
  const [status, { refetch: refetchStatus }] = createResource(api.slack.status);
  const [manifest] = createResource(api.slack.manifest);
  const [events, { refetch: refetchEvents }] = createResource(() => api.slack.events(50));
  const [uninstalling, setUninstalling] = createSignal<{ team_id: string; team_name: string | null } | null>(null);
  const manifestJson = () => JSON.stringify(manifest() ?? {}, null, 2);
  const createAppUrl = () => `https://api.slack.com/apps?new_app=1&manifest_json=${encodeURIComponent(JSON.stringify(manifest() ?? {}))}`;

  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1>Slack</h1>
          <p>Mention the bot or DM it: each thread becomes an agent session and the answer streams into the thread.</p>
        </div>
        <Show when={status()?.oauth_available}>
          <a class="btn primary" href="/slack/install" rel="external">
            Add to a Slack workspace
          </a>
        </Show>
      </div>
      <Show when={params.installed}>
        <div class="alert success">Installed in workspace {params.installed}. Invite the bot to a channel and mention it.</div>
      </Show>
      <Show when={params.install_error}>
        <div class="alert">Slack install did not finish: {params.install_error}</div>
      </Show>
      <Show when={status.error}>
        <ErrorAlert error={status.error} retry={refetchStatus} />
      </Show>

      <section class="card card-pad" style={{ "margin-bottom": "16px" }} aria-label="Connection">
        <h2>Connection</h2>
        <Show when={status()} fallback={<div class="skeleton" />}>
          {(s) => (
            <>
              <p>
                Mode:{" "}
                <span class={`badge ${s().enabled ? "ok" : "warn"}`} data-testid="slack-mode">
                  {s().mode.replaceAll("_", " ")}
                </span>
              </p>
              <Show when={!s().enabled}>
                <p class="muted">
                  Set <code>SLACK_SIGNING_SECRET</code>, then either <code>SLACK_BOT_TOKEN</code> (one workspace) or{" "}
                  <code>SLACK_CLIENT_ID</code> and <code>SLACK_CLIENT_SECRET</code> (installs through OAuth), and restart LAP.
                </p>
              </Show>
              <table>
                <tbody>
                  <For each={Object.entries(s().request_urls)}>
                    {([name, url]) => (
                      <tr>
                        <td>{name.replace("_", " ")}</td>
                        <td class="mono">{url}</td>
                        <td style={{ "text-align": "right" }}>
                          <CopyButton value={url} />
                        </td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
              <h2 style={{ "margin-top": "14px" }}>Installed workspaces</h2>
              <ListCard
                bare
                rows={() => s().installations}
                colCount={4}
                columns={
                  <>
                    <th>Workspace</th>
                    <th>Id</th>
                    <th>Installed</th>
                    <th />
                  </>
                }
                empty={{ title: "None through OAuth yet" }}
              >
                <For each={s().installations}>
                  {(i) => (
                    <tr data-testid="installation-row">
                      <td>{i.team_name || i.team_id}</td>
                      <td class="mono muted">{i.team_id}</td>
                      <td title={i.installed_at}>{timeAgo(i.installed_at)}</td>
                      <td style={{ "text-align": "right" }}>
                        <button class="btn sm danger" onClick={() => setUninstalling(i)} aria-label={`Remove ${i.team_name || i.team_id}`}>
                          Remove
                        </button>
                      </td>
                    </tr>
                  )}
                </For>
              </ListCard>
            </>
          )}
        </Show>
      </section>

      <Show when={uninstalling()}>
        {(i) => (
          <ConfirmDialog
            title={`Remove the workspace ${i().team_name || i().team_id}?`}
            confirmLabel="Remove workspace"
            action={async () => {
              await api.slack.removeInstallation(i().team_id);
              toast(`Removed ${i().team_name || i().team_id}`);
            }}
            onClose={() => setUninstalling(null)}
            onDone={refetchStatus}
          >
            LAP deletes the workspace's bot token: the bot stops answering there until it is added to the workspace again.
          </ConfirmDialog>
        )}
      </Show>

      <section class="card card-pad" style={{ "margin-bottom": "16px" }} aria-label="App manifest">
        <div class="page-head" style={{ "margin-bottom": "8px" }}>
          <h2>App manifest</h2>
          <span>
            <CopyButton value={manifestJson()} label="Copy manifest" />{" "}
            <a class="btn sm" href={createAppUrl()} target="_blank" rel="noreferrer">
              Create the app on Slack
            </a>
          </span>
        </div>
        <p class="muted">Paste it at api.slack.com/apps → Create New App → From a manifest. Its URLs come from BASE_URL.</p>
        <pre class="mono" data-testid="slack-manifest" style={{ "max-height": "260px", overflow: "auto", "font-size": "12px" }}>
          {manifestJson()}
        </pre>
      </section>

      <BindingsCard />
      <AllowlistCard />

      <ListCard
        label="Recent events"
        items={events}
        retry={refetchEvents}
        colCount={7}
        toolbar={
          <div class="card-pad page-head" style={{ "margin-bottom": "0" }}>
            <h2>Recent messages</h2>
            <button class="btn sm" onClick={() => refetchEvents()}>
              Refresh
            </button>
          </div>
        }
        columns={
          <>
            <th>When</th>
            <th>Kind</th>
            <th>Channel</th>
            <th>User</th>
            <th>Outcome</th>
            <th>Session</th>
            <th>Detail</th>
          </>
        }
        empty={{ title: "No Slack messages yet", text: "Mention the bot in a channel it was invited to." }}
      >
        <For each={events()}>
          {(e) => (
            <tr data-testid="slack-event-row">
              <td title={e.created_at}>{timeAgo(e.created_at)}</td>
              <td>{e.kind.replace("_", " ")}</td>
              <td class="mono">{e.channel_id}</td>
              <td class="mono">{e.user_id}</td>
              <td>
                <span class={`badge ${statusClass[e.status] ?? ""}`}>{e.status}</span>
                {e.duplicates > 0 ? <span class="muted"> +{e.duplicates} dup</span> : null}
              </td>
              <td>
                {e.session_id ? (
                  <a href={`/sessions/${e.session_id}`} class="mono">
                    {e.session_id.slice(0, 16)}
                  </a>
                ) : (
                  <span class="muted">—</span>
                )}
              </td>
              <td class="muted">{e.error ?? ""}</td>
            </tr>
          )}
        </For>
      </ListCard>
    </div>
  );
}
