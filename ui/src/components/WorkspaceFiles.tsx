import { createResource, For, Show } from "solid-js";
import { api } from "../lib/api";
import { formatBytes } from "../lib/format";
import { ErrorAlert } from "./ui";

/** A session's workspace (docs/files.md): its tree, each file downloadable, the whole as a zip. */
export function WorkspaceFiles(props: { sessionId: string }) {
  const [tree, { refetch }] = createResource(
    () => props.sessionId,
    (id) => api.workspace.list(id),
  );
  const sorted = () => [...(tree()?.data ?? [])].sort((a, b) => a.path.localeCompare(b.path));
  const depth = (path: string) => path.split("/").length - 1;
  return (
    <div class="card card-pad" data-testid="workspace-files">
      <div style={{ display: "flex", "justify-content": "space-between", "align-items": "center", "margin-bottom": "8px" }}>
        <strong>Workspace files</strong>
        <span>
          <button class="btn ghost sm" onClick={refetch}>
            Refresh
          </button>{" "}
          <a class="btn sm" href={api.workspace.zipUrl(props.sessionId)} download="" data-testid="workspace-zip">
            Download zip
          </a>
        </span>
      </div>
      <Show when={tree.error}>
        <ErrorAlert error={tree.error} retry={refetch} />
      </Show>
      <Show when={tree()}>
        {(t) => (
          <>
            <Show when={t().sandbox_running}>
              <div class="muted">The sandbox is running: files may change.</div>
            </Show>
            <Show when={t().data.length === 0}>
              <div class="muted">The workspace is empty.</div>
            </Show>
            <ul class="mono" style={{ "list-style": "none", padding: 0, margin: 0 }}>
              <For each={sorted()}>
                {(e) => (
                  <li style={{ "padding-left": `${depth(e.path) * 16}px` }} data-testid="workspace-entry">
                    <Show when={e.type === "file"} fallback={<span>{e.path.split("/").at(-1)}/</span>}>
                      <a href={api.workspace.fileUrl(props.sessionId, e.path)} download="">
                        {e.path.split("/").at(-1)}
                      </a>{" "}
                      <span class="muted">{formatBytes(e.size)}</span>
                    </Show>
                  </li>
                )}
              </For>
            </ul>
            <Show when={t().truncated}>
              <div class="muted">More files than shown: download the zip of a folder instead.</div>
            </Show>
            <Show when={t().skipped > 0}>
              <div class="muted">{t().skipped} links or special files are not shown.</div>
            </Show>
          </>
        )}
      </Show>
    </div>
  );
}
