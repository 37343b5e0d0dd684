import { For, Match, Show, Switch } from "solid-js";
import { describeToolCall, type ToolResult, type ToolUse } from "../lib/tool-calls";

/** One tool call in the chat view: commands with their output, file changes as diffs. `folded`: only the head line. */
export function ToolCall(props: { use: ToolUse; result?: ToolResult; folded?: boolean }) {
  const view = () => describeToolCall(props.use, props.result);
  return (
    <div class="tool-call" classList={{ "tool-error": view().isError }} data-testid="tool-call">
      <Switch>
        <Match when={view().kind === "command" && view()} keyed>
          {(v) =>
            v.kind === "command" && (
              <>
                <div class="tool-head">
                  <span class="tool-kind">command</span>
                  <code>$ {v.command}</code>
                </div>
                <Show when={v.output && !props.folded}>
                  <pre class="tool-output" data-testid="tool-output">
                    {v.output}
                  </pre>
                </Show>
              </>
            )
          }
        </Match>
        <Match when={view().kind === "file" && view()} keyed>
          {(v) =>
            v.kind === "file" && (
              <>
                <div class="tool-head">
                  <span class="tool-kind">{v.summary ?? "edit"}</span>
                  <code>{v.path}</code>
                </div>
                <Show when={v.diff.length && !props.folded}>
                  <pre class="tool-diff">
                    <For each={v.diff}>
                      {(line) => (
                        <div class={line.op === "+" ? "diff-add" : line.op === "-" ? "diff-del" : "diff-ctx"}>
                          {line.op}
                          {line.text}
                        </div>
                      )}
                    </For>
                  </pre>
                </Show>
                <Show when={v.isError && !props.folded}>
                  <pre class="tool-output" data-testid="tool-output">
                    {v.output}
                  </pre>
                </Show>
              </>
            )
          }
        </Match>
        <Match when={view().kind === "other" && view()} keyed>
          {(v) =>
            v.kind === "other" && (
              <>
                <div class="tool-head">
                  <span class="tool-kind">tool</span>
                  <code>{v.name}</code>
                </div>
                <Show when={!props.folded}>
                  <pre class="tool-input">{v.input}</pre>
                </Show>
                <Show when={v.output && !props.folded}>
                  <pre class="tool-output" data-testid="tool-output">
                    {v.output}
                  </pre>
                </Show>
              </>
            )
          }
        </Match>
      </Switch>
    </div>
  );
}
