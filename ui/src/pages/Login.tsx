import { useNavigate, useSearchParams } from "@solidjs/router";
import { createSignal, Show } from "solid-js";
import { api, ApiError, type Me } from "../lib/api";

export function Login(props: { onLogin: (me: Me) => void }) {
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [key, setKey] = createSignal("");
  const [error, setError] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      const me = await api.auth.login(key());
      props.onLogin(me);
      const next = typeof params.next === "string" && params.next.startsWith("/") ? params.next : "/system";
      navigate(next, { replace: true });
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? "That key did not work. Use the master key printed by `npm start` (also in .lap/master.key) or an admin API key."
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
        <label class="field">
          Master key or admin API key
          <input
            type="password"
            name="key"
            autocomplete="current-password"
            autofocus
            value={key()}
            onInput={(e) => setKey(e.currentTarget.value)}
            aria-invalid={error() ? "true" : undefined}
            placeholder="lap-master-… or sk-lap-…"
          />
          <span class="hint">The master key is printed when LAP first starts and kept in LAP_DATA_DIR/master.key.</span>
        </label>
        <Show when={error()}>
          <div class="field-error" role="alert">
            {error()}
          </div>
        </Show>
        <button class="btn primary" type="submit" disabled={busy() || !key()}>
          {busy() ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </div>
  );
}
