import { createSignal, Match, Show, Switch } from "solid-js";
import { api, type CreateServerInput, type ServerView } from "../lib/api";
import { createApiForm, FormDialog } from "./forms";

type Transport = "stdio" | "streamable-http" | "sse";
type AuthType = "none" | "bearer" | "api_key" | "basic" | "oauth";

/** `NAME=value` lines to a record (blank lines ignored). */
const pairs = (text: string) =>
  Object.fromEntries(
    text
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l) => {
        const at = l.indexOf("=") >= 0 ? l.indexOf("=") : l.indexOf(":");
        return at > 0 ? [l.slice(0, at).trim(), l.slice(at + 1).trim()] : [l, ""];
      }),
  );
const lines = (text: string) =>
  text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);

/**
 * Add or edit an MCP server. Secrets (tokens, env and header values) are write-only: when editing,
 * leaving them empty keeps what is stored.
 */
/** `allowStdio`: an org admin's (a stdio server runs a command on LAP's host; a team's admins register URLs). */
export function McpServerDialog(props: {
  server?: ServerView;
  allowStdio?: boolean;
  onClose: () => void;
  onSaved: (s: ServerView) => void;
}) {
  const s = props.server;
  const [name, setName] = createSignal(s?.name ?? "");
  const [description, setDescription] = createSignal(s?.description ?? "");
  const [transport, setTransport] = createSignal<Transport>(s?.transport ?? "streamable-http");
  const [url, setUrl] = createSignal(s?.url ?? "");
  const [command, setCommand] = createSignal(s?.command ?? "");
  const [args, setArgs] = createSignal((s?.args ?? []).join("\n"));
  const [env, setEnv] = createSignal("");
  const [headers, setHeaders] = createSignal("");
  const [authType, setAuthType] = createSignal<AuthType>(s?.auth.type ?? "none");
  const [secret, setSecret] = createSignal("");
  const [header, setHeader] = createSignal(s?.auth.header ?? "x-api-key");
  const [username, setUsername] = createSignal("");
  const [scopes, setScopes] = createSignal((s?.auth.scopes ?? []).join(" "));
  const [allowed, setAllowed] = createSignal((s?.allowed_tools ?? []).join(", "));
  const form = createApiForm({ nested: true });

  const auth = (): CreateServerInput["auth"] | undefined => {
    const t = authType();
    if (s && t === s.auth.type && !secret() && t !== "oauth" && t !== "none") return undefined; // keep stored credentials
    if (t === "bearer") return { type: "bearer", token: secret() };
    if (t === "api_key") return { type: "api_key", header: header(), key: secret() };
    if (t === "basic") return { type: "basic", username: username(), password: secret() };
    if (t === "oauth")
      return {
        type: "oauth",
        scopes: scopes()
          .split(/[\s,]+/)
          .filter(Boolean),
      };
    return { type: "none" };
  };

  const submit = () =>
    form.submit(async () => {
      const stdio = transport() === "stdio";
      const body: CreateServerInput = {
        name: name().trim(),
        description: description(),
        transport: transport(),
        ...(stdio ? { command: command().trim(), args: lines(args()) } : { url: url().trim() }),
        ...(stdio && env().trim() ? { env: pairs(env()) } : {}),
        ...(!stdio && headers().trim() ? { headers: pairs(headers()) } : {}),
        allowed_tools: allowed().trim()
          ? allowed()
              .split(/[\s,]+/)
              .filter(Boolean)
          : null,
      };
      const a = auth();
      if (a) body.auth = a;
      props.onSaved(s ? await api.mcp.update(s.id, body) : await api.mcp.create(body));
    });

  return (
    <FormDialog
      title={s ? `Edit ${s.name}` : "Add MCP server"}
      submitLabel={s ? "Save" : "Add server"}
      busyLabel="Saving…"
      busy={form.busy()}
      onSubmit={submit}
      onClose={props.onClose}
    >
      <label class="field">
        Name <span class="hint">lowercase, digits and dashes; tools appear as name__tool on /mcp</span>
        <input
          name="name"
          value={name()}
          onInput={(e) => setName(e.currentTarget.value)}
          placeholder="github"
          aria-invalid={form.invalid("name")}
        />
        <form.FieldError field="name" />
      </label>
      <label class="field">
        Description
        <input name="description" value={description()} onInput={(e) => setDescription(e.currentTarget.value)} />
      </label>
      <label class="field">
        Transport
        <select name="transport" value={transport()} onChange={(e) => setTransport(e.currentTarget.value as Transport)}>
          <option value="streamable-http">Streamable HTTP (URL)</option>
          <option value="sse">SSE (legacy URL)</option>
          <Show when={props.allowStdio !== false || s?.transport === "stdio"}>
            <option value="stdio">stdio (command, runs in a sandbox)</option>
          </Show>
        </select>
        <form.FieldError field="transport" />
      </label>
      <Switch>
        <Match when={transport() === "stdio"}>
          <label class="field">
            Command
            <input
              name="command"
              value={command()}
              onInput={(e) => setCommand(e.currentTarget.value)}
              placeholder="/usr/bin/node"
              aria-invalid={form.invalid("command")}
            />
            <form.FieldError field="command" />
          </label>
          <label class="field">
            Arguments <span class="hint">one per line</span>
            <textarea
              name="args"
              rows={2}
              style={{ height: "auto", padding: "6px 10px" }}
              value={args()}
              onInput={(e) => setArgs(e.currentTarget.value)}
            />
          </label>
          <label class="field">
            Environment{" "}
            <span class="hint">
              NAME=value per line; values are encrypted{s?.env_names.length ? `, stored: ${s.env_names.join(", ")}` : ""}
            </span>
            <textarea
              name="env"
              rows={2}
              style={{ height: "auto", padding: "6px 10px" }}
              value={env()}
              onInput={(e) => setEnv(e.currentTarget.value)}
            />
          </label>
        </Match>
        <Match when={transport() !== "stdio"}>
          <label class="field">
            URL <span class="hint">{"${NAME} placeholders are filled from variables"}</span>
            <input
              name="url"
              value={url()}
              onInput={(e) => setUrl(e.currentTarget.value)}
              placeholder="https://mcp.example.com/mcp"
              aria-invalid={form.invalid("url")}
            />
            <form.FieldError field="url" />
          </label>
          <label class="field">
            Static headers{" "}
            <span class="hint">
              Name: value per line; encrypted{s?.header_names.length ? `, stored: ${s.header_names.join(", ")}` : ""}
            </span>
            <textarea
              name="headers"
              rows={2}
              style={{ height: "auto", padding: "6px 10px" }}
              value={headers()}
              onInput={(e) => setHeaders(e.currentTarget.value)}
            />
          </label>
          <label class="field">
            Authentication
            <select name="auth" value={authType()} onChange={(e) => setAuthType(e.currentTarget.value as AuthType)}>
              <option value="none">None</option>
              <option value="bearer">Bearer token</option>
              <option value="api_key">API key header</option>
              <option value="basic">Basic</option>
              <option value="oauth">OAuth 2.1 (each user connects)</option>
            </select>
            <form.FieldError field="auth" />
          </label>
          <Show when={authType() === "api_key"}>
            <label class="field">
              Header name
              <input name="auth-header" value={header()} onInput={(e) => setHeader(e.currentTarget.value)} />
            </label>
          </Show>
          <Show when={authType() === "basic"}>
            <label class="field">
              Username
              <input name="username" value={username()} onInput={(e) => setUsername(e.currentTarget.value)} />
            </label>
          </Show>
          <Show when={authType() === "bearer" || authType() === "api_key" || authType() === "basic"}>
            <label class="field">
              {authType() === "basic" ? "Password" : "Token"}{" "}
              <span class="hint">{s?.auth.has_credentials ? "leave empty to keep the stored one" : "encrypted, never shown again"}</span>
              <input name="secret" type="password" autocomplete="off" value={secret()} onInput={(e) => setSecret(e.currentTarget.value)} />
            </label>
          </Show>
          <Show when={authType() === "oauth"}>
            <label class="field">
              Scopes <span class="hint">space separated; LAP registers itself with the vendor</span>
              <input name="scopes" value={scopes()} onInput={(e) => setScopes(e.currentTarget.value)} />
            </label>
          </Show>
        </Match>
      </Switch>
      <label class="field">
        Allowed tools <span class="hint">optional, comma separated; empty allows every tool</span>
        <input name="allowed" value={allowed()} onInput={(e) => setAllowed(e.currentTarget.value)} />
      </label>
      <form.FormError />
    </FormDialog>
  );
}
