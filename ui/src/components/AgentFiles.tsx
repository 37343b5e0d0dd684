import { createResource, createSignal, For, Show } from "solid-js";
import { api, type AgentFileView } from "../lib/api";
import { formatBytes, timeAgo } from "../lib/format";
import { ConfirmDialog } from "./forms";
import { ListCard } from "./list-card";
import { toast } from "./ui";

/** The agent's files (docs/files.md): uploaded here, copied into every new session's workspace. */
export function AgentFiles(props: { agentId: string }) {
  const [files, { refetch }] = createResource(() => props.agentId, api.agentFiles.list);
  const [folder, setFolder] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<unknown>(null);
  const [deleting, setDeleting] = createSignal<AgentFileView | null>(null);
  let input!: HTMLInputElement;

  const upload = async () => {
    const chosen = [...(input.files ?? [])];
    if (!chosen.length) return;
    setBusy(true);
    setError(null);
    try {
      const prefix = folder()
        .trim()
        .replace(/^\/+|\/+$/g, "");
      const { data } = await api.agentFiles.upload(props.agentId, chosen, prefix ? chosen.map((f) => `${prefix}/${f.name}`) : undefined);
      toast(`Uploaded ${data.map((f) => f.path).join(", ")}`);
      input.value = "";
      await refetch();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div data-testid="agent-files">
      <p class="muted">Each new session of this agent starts with these files in its workspace (after the repository is cloned).</p>
      <div
        class="card card-pad"
        style={{ display: "flex", gap: "8px", "align-items": "center", "flex-wrap": "wrap", "margin-bottom": "12px" }}
      >
        <input type="file" multiple ref={input} aria-label="Files to upload" />
        <input
          type="text"
          placeholder="folder (optional), e.g. docs"
          aria-label="Folder"
          value={folder()}
          onInput={(e) => setFolder(e.currentTarget.value)}
        />
        <button class="btn primary" disabled={busy()} onClick={upload}>
          {busy() ? "Uploading…" : "Upload"}
        </button>
        <Show when={files()}>
          {(f) => (
            <span class="muted" data-testid="agent-files-usage">
              {f().data.length} of {f().limits.max_files} files · {formatBytes(f().total_bytes)} of{" "}
              {formatBytes(f().limits.max_total_bytes)} · at most {formatBytes(f().limits.max_file_bytes)} each
            </span>
          )}
        </Show>
      </div>
      <Show when={error()}>
        {(e) => (
          <div class="alert" role="alert" data-testid="agent-files-error">
            Upload refused: {e() instanceof Error ? (e() as Error).message : String(e())}
          </div>
        )}
      </Show>
      <ListCard
        items={files}
        rows={() => files()?.data}
        retry={refetch}
        colCount={4}
        columns={
          <>
            <th>Path</th>
            <th>Size</th>
            <th>Updated</th>
            <th />
          </>
        }
        empty={{ title: "No files yet", text: "Upload notes, data or configuration the agent should find in its workspace." }}
      >
        <For each={files()?.data}>
          {(f) => (
            <tr data-testid="agent-file-row">
              <td class="mono">
                <a href={api.agentFiles.downloadUrl(props.agentId, f.path)} download="">
                  {f.path}
                </a>
              </td>
              <td>{formatBytes(f.size)}</td>
              <td class="muted">{timeAgo(f.updated_at)}</td>
              <td style={{ "text-align": "right" }}>
                <button class="btn ghost sm danger" onClick={() => setDeleting(f)} aria-label={`Delete ${f.path}`}>
                  Delete
                </button>
              </td>
            </tr>
          )}
        </For>
      </ListCard>
      <Show when={deleting()}>
        {(f) => (
          <ConfirmDialog
            title={`Delete ${f().path}?`}
            confirmLabel="Delete file"
            action={async () => {
              await api.agentFiles.remove(props.agentId, f().path);
            }}
            onClose={() => setDeleting(null)}
            onDone={() => {
              setError(null);
              void refetch();
            }}
          >
            New sessions no longer get this file. Workspaces of earlier sessions keep their copy.
          </ConfirmDialog>
        )}
      </Show>
    </div>
  );
}
