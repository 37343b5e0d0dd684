import { createResource, createSignal, Show } from "solid-js";
import { toast } from "../../components/ui";
import { api, ApiError } from "../../lib/api";

/** Slack users allowed to DM the bot; an empty list lets everyone in the workspace DM it. */
export function AllowlistCard() {
  const [list, { refetch }] = createResource(api.slack.allowlist);
  const [team, setTeam] = createSignal("*");
  const [text, setText] = createSignal<string | undefined>();
  const [error, setError] = createSignal("");
  const current = () =>
    (list() ?? [])
      .filter((e) => e.team_id === (team().trim() || "*"))
      .map((e) => e.user_id)
      .join("\n");
  const save = async (e: Event) => {
    e.preventDefault();
    setError("");
    const ids = (text() ?? current())
      .split(/[\s,]+/)
      .map((s) => s.trim())
      .filter(Boolean);
    try {
      const saved = await api.slack.setAllowlist({ team_id: team().trim() || "*", user_ids: ids });
      toast(saved.user_ids.length ? `${saved.user_ids.length} user(s) may DM the bot` : "Anyone in the workspace may DM the bot");
      setText(undefined);
      refetch();
    } catch (err) {
      setError(
        err instanceof ApiError && err.fields.length
          ? `${err.fields[0]!.message} (${ids[Number(err.fields[0]!.field.split(".")[1])] ?? err.fields[0]!.field})`
          : (err as Error).message,
      );
    }
  };
  return (
    <section class="card card-pad" style={{ "margin-bottom": "16px" }} aria-label="DM allow-list">
      <h2>Direct message access</h2>
      <p class="muted">
        Slack user ids (U…, or &lt;@U…&gt; as Slack copies them), one per line. Empty: anyone in the workspace may DM the bot.
      </p>
      <form onSubmit={save} style={{ display: "grid", gap: "8px" }}>
        <label class="field">
          Workspace id
          <input
            name="allow_team"
            value={team()}
            onInput={(e) => {
              setTeam(e.currentTarget.value);
              setText(undefined);
            }}
          />
        </label>
        <label class="field">
          Allowed users
          <textarea
            name="user_ids"
            rows="4"
            style={{ height: "auto", padding: "6px 10px" }}
            value={text() ?? current()}
            onInput={(e) => setText(e.currentTarget.value)}
            aria-invalid={error() ? "true" : undefined}
          />
        </label>
        <Show when={error()}>
          <span class="field-error">{error()}</span>
        </Show>
        <div>
          <button class="btn primary" type="submit">
            Save DM access
          </button>
        </div>
      </form>
    </section>
  );
}
