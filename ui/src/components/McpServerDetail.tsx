import { createEffect, createMemo, createResource, createSignal, For, on, Show } from "solid-js";
import { api, ApiError, type GrantView, type McpTestResult, type ServerView } from "../lib/api";
import { ConfirmDialog } from "./forms";
import { timeAgo } from "../lib/format";
import { ListCard } from "./list-card";
import { CopyButton, toast } from "./ui";

/**
 * One server: its proxy URL, a connection test with its tools (enable/disable each), health and
 * recent errors, and who may use it (grants to keys, users, agents).
 */
export function McpServerDetail(props: { server: ServerView; onChanged: (s: ServerView) => void }) {
  const s = () => props.server;
  const [test, setTest] = createSignal<McpTestResult | null>(null);
  const [testing, setTesting] = createSignal(false);
  const [health, { refetch: refetchHealth }] = createResource(() => s().id, api.mcp.health);
  const [grants, { refetch: refetchGrants }] = createResource(() => s().id, api.mcp.grants);
  const [revoking, setRevoking] = createSignal<GrantView | null>(null);
  const proxyUrl = () => `${location.origin}${s().proxy_path}`;
  // Only another server clears the test result: `on` fires whenever its source is re-read, and the
  // server object is replaced on every edit (a tool toggled), so it watches a memo of the id.
  const serverId = createMemo(() => s().id);
  createEffect(on(serverId, () => setTest(null), { defer: true }));

  const runTest = async () => {
    setTesting(true);
    try {
      setTest(await api.mcp.test(s().id));
    } catch (err) {
      toast((err as Error).message);
    } finally {
      setTesting(false);
      refetchHealth();
    }
  };

  const toggleTool = async (tool: string, enable: boolean) => {
    const disabled = new Set(s().disabled_tools);
    if (enable) disabled.delete(tool);
    else disabled.add(tool);
    const updated = await api.mcp.update(s().id, { disabled_tools: [...disabled] });
    props.onChanged(updated);
    setTest((t) => t && { ...t, tools: t.tools.map((x) => (x.name === tool ? { ...x, enabled: enable } : x)) });
    toast(`${enable ? "Enabled" : "Disabled"} ${tool}`);
  };

  const connect = async () => {
    try {
      const { authorization_url } = await api.mcp.oauthStart(s().id);
      window.open(authorization_url, "_blank", "noopener");
    } catch (err) {
      toast((err as Error).message);
    }
  };

  return (
    <div class="card card-pad" data-testid="server-detail" style={{ display: "grid", gap: "14px", "margin-top": "12px" }}>
      <div style={{ display: "flex", "justify-content": "space-between", "align-items": "center", gap: "12px" }}>
        <div>
          <h2 style={{ margin: 0 }}>{s().name}</h2>
          <div class="muted">{s().description || (s().url ?? `${s().command} ${s().args.join(" ")}`)}</div>
        </div>
        <span style={{ display: "flex", gap: "8px" }}>
          <Show when={s().auth.type === "oauth"}>
            <button class="btn" onClick={connect}>
              Connect my account
            </button>
          </Show>
          <button class="btn primary" onClick={runTest} disabled={testing()}>
            {testing() ? "Testing…" : "Test connection"}
          </button>
        </span>
      </div>
      <div class="secret-box">
        <code data-testid="proxy-url">{proxyUrl()}</code>
        <CopyButton value={proxyUrl()} />
      </div>

      <Show when={test()}>
        {(t) => (
          <div data-testid="test-result">
            <Show
              when={t().ok}
              fallback={
                <div class="alert" role="alert">
                  <strong>Connection failed.</strong> {t().error}
                </div>
              }
            >
              <div class="alert success">
                Connected in {t().duration_ms} ms: {t().tools.length} tools, {t().prompts.length} prompts, {t().resources.length} resources.
              </div>
              <ListCard
                bare
                rows={() => t().tools}
                colCount={3}
                columns={
                  <>
                    <th>Tool</th>
                    <th>Description</th>
                    <th>Enabled</th>
                  </>
                }
                empty={{ title: "No tools", text: "The server lists no tools." }}
              >
                <For each={t().tools}>
                  {(tool) => (
                    <tr data-testid="tool-row">
                      <td class="mono">{tool.name}</td>
                      <td class="muted">{tool.description}</td>
                      <td>
                        <input
                          type="checkbox"
                          style={{ width: "auto", height: "auto" }}
                          checked={tool.enabled}
                          aria-label={`Enable ${tool.name}`}
                          onChange={(e) => void toggleTool(tool.name, e.currentTarget.checked).catch((err) => toast(err.message))}
                        />
                      </td>
                    </tr>
                  )}
                </For>
              </ListCard>
            </Show>
          </div>
        )}
      </Show>

      <div>
        <h2>Health</h2>
        <Show when={health()}>
          {(h) => (
            <div data-testid="health">
              <span class={`badge ${h().state === "connected" ? "ok" : h().state === "failed" ? "err" : ""}`}>
                <span class="dot" /> {h().state}
              </span>{" "}
              <span class="muted">last connected {timeAgo(h().last_connected_at)}</span>
              <For each={h().recent_errors.slice(0, 5)}>
                {(e) => (
                  <div class="field-error" title={e.at}>
                    {timeAgo(e.at)}: {e.message}
                  </div>
                )}
              </For>
            </div>
          )}
        </Show>
      </div>

      <div>
        <h2>Access</h2>
        <p class="muted" style={{ margin: "0 0 8px" }}>
          Admin keys reach every enabled server. Other keys need a grant to their key, user or agent.
        </p>
        <ListCard
          bare
          items={grants}
          retry={refetchGrants}
          colCount={4}
          columns={
            <>
              <th>Subject</th>
              <th>Id</th>
              <th>Tools</th>
              <th />
            </>
          }
          empty={{ title: "No grants yet", text: "Add one below." }}
        >
          <For each={grants()}>
            {(g) => (
              <tr data-testid="grant-row">
                <td>{g.subject_type}</td>
                <td class="mono">{g.subject_id}</td>
                <td>{g.tools ? g.tools.join(", ") : <span class="muted">all tools</span>}</td>
                <td style={{ "text-align": "right" }}>
                  <button
                    class="btn sm danger"
                    onClick={() => setRevoking(g)}
                    aria-label={`Revoke grant to ${g.subject_type} ${g.subject_id}`}
                  >
                    Revoke
                  </button>
                </td>
              </tr>
            )}
          </For>
        </ListCard>
        <GrantForm serverId={s().id} onAdded={refetchGrants} />
        <Show when={revoking()}>
          {(g) => (
            <ConfirmDialog
              title={`Revoke ${g().subject_type} ${g().subject_id}'s access to ${s().name}?`}
              confirmLabel="Revoke access"
              action={async () => {
                await api.mcp.revokeGrant(g().id);
                toast("Access revoked");
              }}
              onClose={() => setRevoking(null)}
              onDone={refetchGrants}
            >
              Its calls to {g().tools ? g().tools!.join(", ") : "every tool"} of this server are refused from now on (admin keys keep their
              access).
            </ConfirmDialog>
          )}
        </Show>
      </div>
    </div>
  );
}

function GrantForm(props: { serverId: string; onAdded: () => void }) {
  const [type, setType] = createSignal<"key" | "user" | "agent">("key");
  const [subject, setSubject] = createSignal("");
  const [tools, setTools] = createSignal("");
  const [error, setError] = createSignal("");
  const add = async (e: Event) => {
    e.preventDefault();
    setError("");
    try {
      const list = tools()
        .split(/[\s,]+/)
        .filter(Boolean);
      await api.mcp.grant({
        server_id: props.serverId,
        subject_type: type(),
        subject_id: subject().trim(),
        tools: list.length ? list : null,
      });
      setSubject("");
      setTools("");
      props.onAdded();
    } catch (err) {
      setError(
        err instanceof ApiError && err.fields.length
          ? err.fields.map((f) => `${f.field}: ${f.message}`).join("; ")
          : (err as Error).message,
      );
    }
  };
  return (
    <form class="toolbar" style={{ "margin-top": "8px" }} onSubmit={add}>
      <select
        aria-label="Grant to"
        value={type()}
        onChange={(e) => setType(e.currentTarget.value as "key" | "user" | "agent")}
        style={{ width: "110px" }}
      >
        <option value="key">API key id</option>
        <option value="user">user id</option>
        <option value="agent">agent id</option>
      </select>
      <input aria-label="Subject id" placeholder="id" value={subject()} onInput={(e) => setSubject(e.currentTarget.value)} />
      <input aria-label="Tools" placeholder="tools (empty: all)" value={tools()} onInput={(e) => setTools(e.currentTarget.value)} />
      <button class="btn" type="submit">
        Grant
      </button>
      <Show when={error()}>
        <span class="field-error">{error()}</span>
      </Show>
    </form>
  );
}
