import { For, Match, Show, Switch } from "solid-js";
import { describeToolCall, type ToolResult, type ToolUse } from "../lib/tool-calls";

/** One tool call in the chat view: commands with their output, file changes as diffs. */
export function ToolCall(props: { use: ToolUse; result?: ToolResult }) {
  const view = () => describeToolCall(props.use, props.result);
  return (
    <div class="tool-call" classList={{ "tool-error": view().isError }} data-testid="tool-call">
      <Switch>
        <Match when={view().kind === "command" && view()} keyed>
          {(v) => v.kind === "command" && (
            <>
              <div class="tool-head"><span class="tool-kind">command</span><code>$ {v.command}</code></div>
              <Show when={v.output}><pre class="tool-output">{v.output}</pre></Show>
            </>
          )}
        </Match>
        <Match when={view().kind === "file" && view()} keyed>
          {(v) => v.kind === "file" && (
            <>
              <div class="tool-head"><span class="tool-kind">{v.summary ?? "edit"}</span><code>{v.path}</code></div>
              <Show when={v.diff.length}>
                <pre class="tool-diff">
                  <For each={v.diff}>{(line) => <div class={line.op === "+" ? "diff-add" : line.op === "-" ? "diff-del" : "diff-ctx"}>{line.op}{line.text}</div>}</For>
                </pre>
              </Show>
              <Show when={v.isError}><pre class="tool-output">{v.output}</pre></Show>
            </>
          )}
        </Match>
        <Match when={view().kind === "other" && view()} keyed>
          {(v) => v.kind === "other" && (
            <>
              <div class="tool-head"><span class="tool-kind">tool</span><code>{v.name}</code></div>
              <pre class="tool-input">{v.input}</pre>
              <Show when={v.output}><pre class="tool-output">{v.output}</pre></Show>
            </>
          )}
        </Match>
      </Switch>
    </div>
  );
}
