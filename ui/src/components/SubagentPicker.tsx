import { createResource, For, Show } from "solid-js";
import { api } from "../lib/api";

/**
 * The agents this agent may start as sub-agents through LAP's platform tools (docs/memory.md
 * "Sub-agents"), and whether its sessions get those tools at all. Only agents of its own team.
 */
export function SubagentPicker(props: {
  agentId: string | null;
  value: string[];
  onChange: (ids: string[]) => void;
  platformTools: boolean;
  onPlatformTools: (on: boolean) => void;
  error?: string;
}) {
  const [agents] = createResource(() => api.agents.list());
  const others = () => (agents() ?? []).filter((a) => a.id !== props.agentId);
  const toggle = (id: string, on: boolean) => props.onChange(on ? [...props.value, id] : props.value.filter((x) => x !== id));
  return (
    <fieldset class="field key-picker">
      <legend>
        LAP tools and sub-agents <span class="hint">memory, its own sessions, asking for approval, and delegating to these agents</span>
      </legend>
      <label>
        <input
          type="checkbox"
          name="platform_tools"
          checked={props.platformTools}
          onChange={(e) => props.onPlatformTools(e.currentTarget.checked)}
        />{" "}
        Give sessions LAP's platform tools (the <span class="mono">lap</span> MCP server)
      </label>
      <Show when={props.platformTools}>
        <Show when={others().length} fallback={<span class="muted">No other agents to delegate to yet.</span>}>
          <div class="pick-list" role="group" aria-label="Sub-agents">
            <For each={others()}>
              {(a) => (
                <label>
                  <input
                    type="checkbox"
                    name="subagent_ids"
                    value={a.id}
                    checked={props.value.includes(a.id)}
                    onChange={(e) => toggle(a.id, e.currentTarget.checked)}
                  />
                  <span>{a.name}</span> <span class="muted">{a.description}</span>
                </label>
              )}
            </For>
          </div>
        </Show>
      </Show>
      <Show when={props.error}>
        <span class="field-error">{props.error}</span>
      </Show>
    </fieldset>
  );
}
