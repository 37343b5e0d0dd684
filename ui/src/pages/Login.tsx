import { useNavigate, useSearchParams } from "@solidjs/router";
import { createResource, createSignal, Show } from "solid-js";
import { api, ApiError, setCurrentTeam, type Me } from "../lib/api";

const nextOf = (next: unknown) => (typeof next === "string" && next.startsWith("/") && !next.startsWith("//") ? next : undefined);
/** Where a sign-in lands without ?next=: admins on the home page (its get-started checklist), members on their sessions. */
const landing = (me: Me) => (me.kind === "admin" ? "/" : "/sessions");

/**
 * Sign in: with SSO when the operator configured an OIDC issuer, with an email and password, or with
 * the master key or an admin API key (break-glass).
 */
export function Login(props: { onLogin: (me: Me) => void }) {
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [providers] = createResource(() => api.auth.providers().catch(() => ({ password: true, oidc: false })));
  // The key first: the first person to sign in is the operator with the master key `npm start` printed;
  // people arrive by SSO or their invitation link, and switch to email and password below.
  const [mode, setMode] = createSignal<"password" | "key">("key");
  const [email, setEmail] = createSignal("");
  const [password, setPassword] = createSignal("");
  const [key, setKey] = createSignal("");
  const [error, setError] = createSignal(typeof params.error === "string" ? params.error : "");
  const [busy, setBusy] = createSignal(false);
  const done = (me: Me) => {
    setCurrentTeam("");
    props.onLogin(me);
    navigate(nextOf(params.next) ?? landing(me), { replace: true });
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      done(mode() === "key" ? await api.auth.login(key()) : await api.auth.loginWithPassword(email(), password()));
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? mode() === "key"
            ? "That key did not work. Use the master key printed by `npm start` (also in .lap/master.key) or an admin API key."
            : "That email and password did not match. Ask your admin for an invitation if you have no password yet."
          : (err as Error).message,
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="login">
      <form class="card" onSubmit={submit}>
        <div class="brand">
          <span class="brand-mark">L</span> Sign in to LAP
        </div>
        <Show when={providers()?.oidc}>
          <a
            class="btn primary"
            data-testid="sso"
            href={`/api/auth/oidc/start?return_to=${encodeURIComponent(nextOf(params.next) ?? "/")}`}
          >
            Sign in with SSO
          </a>
          <div class="muted" style={{ "text-align": "center" }}>
            or
          </div>
        </Show>
        <Show
          when={mode() === "password"}
          fallback={
            <label class="field">
              Master key or admin API key
              <input
                type="password"
                name="key"
                autocomplete="current-password"
                value={key()}
                onInput={(e) => setKey(e.currentTarget.value)}
                aria-invalid={error() ? "true" : undefined}
                placeholder="lap-master-… or sk-lap-…"
              />
              <span class="hint">The master key is printed when LAP first starts and kept in LAP_DATA_DIR/master.key.</span>
            </label>
          }
        >
          <label class="field">
            Email
            <input type="email" name="email" autocomplete="username" value={email()} onInput={(e) => setEmail(e.currentTarget.value)} />
          </label>
          <label class="field">
            Password
            <input
              type="password"
              name="password"
              autocomplete="current-password"
              value={password()}
              onInput={(e) => setPassword(e.currentTarget.value)}
              aria-invalid={error() ? "true" : undefined}
            />
          </label>
        </Show>
        <Show when={error()}>
          <div class="field-error" role="alert">
            {error()}
          </div>
        </Show>
        <button class="btn primary" type="submit" disabled={busy() || (mode() === "key" ? !key() : !email() || !password())}>
          {busy() ? "Signing in…" : "Sign in"}
        </button>
        <button
          class="btn ghost sm"
          type="button"
          onClick={() => {
            setMode(mode() === "key" ? "password" : "key");
            setError("");
          }}
        >
          {mode() === "key" ? "Use email and password instead" : "Use the master key or an admin key instead"}
        </button>
      </form>
    </div>
  );
}

/** The page an invitation link opens: choose a password, and be signed in. */
export function Invite(props: { onLogin: (me: Me) => void }) {
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [name, setName] = createSignal("");
  const [password, setPassword] = createSignal("");
  const [error, setError] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      const me = await api.auth.acceptInvitation(String(params.token ?? ""), password(), name() || undefined);
      setCurrentTeam("");
      props.onLogin(me);
      navigate(landing(me), { replace: true });
    } catch (err) {
      setError(
        err instanceof ApiError && err.fields.length
          ? err.fields.map((f) => `${f.field}: ${f.message}`).join("; ")
          : (err as Error).message,
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="login">
      <form class="card" onSubmit={submit}>
        <div class="brand">
          <span class="brand-mark">L</span> Welcome to LAP
        </div>
        <p class="muted">
          You were invited. Choose a password (at least 12 characters) to sign in; your organization may also let you sign in with SSO.
        </p>
        <label class="field">
          Your name
          <input name="name" autocomplete="name" value={name()} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label class="field">
          Password
          <input
            type="password"
            name="password"
            autocomplete="new-password"
            value={password()}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        <Show when={error()}>
          <div class="field-error" role="alert">
            {error()}
          </div>
        </Show>
        <button class="btn primary" type="submit" disabled={busy() || password().length < 12}>
          {busy() ? "Signing in…" : "Set password and sign in"}
        </button>
      </form>
    </div>
  );
}
