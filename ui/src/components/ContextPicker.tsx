import { A } from "@solidjs/router";
import { createResource, For, Show } from "solid-js";
import { api } from "../lib/api";

/** The agent form's skills and rules (docs/skills.md): checkboxes over the team's skills and rules, in the order picked. */
export function ContextPicker(props: { kind: "skills" | "rules"; value: string[]; onChange: (ids: string[]) => void; error?: string }) {
  const [items] = createResource(() => (props.kind === "skills" ? api.skills.list() : api.rules.list()).catch(() => []));
  const field = props.kind === "skills" ? "skill_ids" : "rule_ids";
  const toggle = (id: string, on: boolean) => props.onChange(on ? [...props.value, id] : props.value.filter((x) => x !== id));
  return (
    <fieldset class="field key-picker">
      <legend>
        {props.kind === "skills" ? "Skills" : "Rules"}{" "}
        <span class="hint">
          {props.kind === "skills"
            ? "listed to the agent by name and description; it loads one when a task needs it"
            : "instructions every session starts with"}
        </span>
      </legend>
      <Show
        when={(items() ?? []).length || props.value.length}
        fallback={
          <span class="muted">
            None yet. Add them on the <A href={`/${props.kind}`}>{props.kind === "skills" ? "Skills" : "Rules"}</A> page.
          </span>
        }
      >
        <div class="pick-list" role="group" aria-label={props.kind === "skills" ? "Skills" : "Rules"}>
          <For each={[...(items() ?? []).map((i) => i.id), ...props.value.filter((id) => !(items() ?? []).some((i) => i.id === id))]}>
            {(id) => {
              const item = () => (items() ?? []).find((i) => i.id === id);
              return (
                <label>
                  <input
                    type="checkbox"
                    name={field}
                    value={id}
                    checked={props.value.includes(id)}
                    onChange={(e) => toggle(id, e.currentTarget.checked)}
                  />
                  <Show when={item()} fallback={<span class="field-error">{id}: not found</span>}>
                    {(i) => (
                      <>
                        <span class={props.kind === "skills" ? "mono" : ""}>{i().name}</span>{" "}
                        <span class="muted">v{i().current_version}</span>
                      </>
                    )}
                  </Show>
                </label>
              );
            }}
          </For>
        </div>
      </Show>
      <Show when={props.error}>
        <span class="field-error">{props.error}</span>
      </Show>
    </fieldset>
  );
}
