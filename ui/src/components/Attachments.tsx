/**
 * Attachments in the chat (docs/sessions.md "Attachments"): the composer's picker (a button, or
 * paste or drop an image) with previews of what will be sent, and the thumbnails of a sent message.
 * LAP checks the bytes again on the server; the limits here only save a round trip.
 */
import { For, Show } from "solid-js";
import { api } from "../lib/api";

export const ACCEPTED = ["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"];
const MAX_BYTES = 5 * 1024 * 1024;
export const MAX_FILES = 10;

export interface Pending {
  name: string;
  mediaType: string;
  size: number;
  data: string;
  preview?: string;
}

/** The message block for a picked file. */
export const blockOf = (p: Pending) =>
  p.mediaType.startsWith("image/")
    ? { type: "image", source: { type: "base64", media_type: p.mediaType, data: p.data } }
    : { type: "document", source: { type: "base64", media_type: p.mediaType, data: p.data }, title: p.name.slice(0, 200) };

async function read(file: File): Promise<Pending> {
  if (!ACCEPTED.includes(file.type)) throw new Error(`${file.name}: LAP takes PNG, JPEG, GIF and WebP images, PDFs and plain text`);
  if (file.size > MAX_BYTES) throw new Error(`${file.name}: larger than 5 MiB`);
  const dataUrl = await new Promise<string>((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
  const data = dataUrl.slice(dataUrl.indexOf(",") + 1);
  return {
    name: file.name || "pasted image",
    mediaType: file.type,
    size: file.size,
    data,
    preview: file.type.startsWith("image/") ? dataUrl : undefined,
  };
}

/** Reads picked, pasted or dropped files; errors go to `onError`, one per file. */
export async function readFiles(files: Iterable<File>, onError: (message: string) => void): Promise<Pending[]> {
  const out: Pending[] = [];
  for (const f of files)
    await read(f).then(
      (p) => out.push(p),
      (err: Error) => onError(err.message),
    );
  return out;
}

export function AttachButton(props: { disabled?: boolean; onFiles: (files: File[]) => void }) {
  let input: HTMLInputElement | undefined;
  return (
    <>
      <input
        ref={input}
        type="file"
        multiple
        accept={ACCEPTED.join(",")}
        style={{ display: "none" }}
        data-testid="attach-input"
        onChange={(e) => {
          props.onFiles([...(e.currentTarget.files ?? [])]);
          e.currentTarget.value = "";
        }}
      />
      <button
        type="button"
        class="btn"
        disabled={props.disabled}
        onClick={() => input?.click()}
        title="Attach images, PDFs or text files (or paste or drop an image)"
        data-testid="attach"
      >
        Attach
      </button>
    </>
  );
}

export function PendingAttachments(props: { items: Pending[]; onRemove: (index: number) => void }) {
  return (
    <Show when={props.items.length}>
      <div class="attachments pending" data-testid="pending-attachments">
        <For each={props.items}>
          {(p, i) => (
            <div class="attachment">
              <Show when={p.preview} fallback={<span class="attachment-doc mono">{p.name}</span>}>
                <img src={p.preview} alt={p.name} />
              </Show>
              <button type="button" class="attachment-remove" aria-label={`Remove ${p.name}`} onClick={() => props.onRemove(i())}>
                ×
              </button>
            </div>
          )}
        </For>
      </div>
    </Show>
  );
}

type Ref = { type?: string; title?: string; size_bytes?: number; source?: { type?: string; file_id?: string; media_type?: string } };

/** The attachments of a sent message (`source.type: "file"` references), as thumbnails and links. */
export function MessageAttachments(props: { sessionId: string; content: unknown }) {
  const refs = () =>
    (Array.isArray(props.content) ? (props.content as Ref[]) : []).filter(
      (p) => (p.type === "image" || p.type === "document") && p.source?.type === "file" && p.source.file_id,
    );
  return (
    <Show when={refs().length}>
      <div class="attachments" data-testid="msg-attachments">
        <For each={refs()}>
          {(r) => {
            const url = api.sessions.attachmentUrl(props.sessionId, r.source!.file_id!);
            return r.type === "image" ? (
              <a class="attachment" href={url} target="_blank" rel="noopener">
                <img src={url} alt="attachment" data-testid="msg-attachment-image" />
              </a>
            ) : (
              <a class="attachment attachment-doc mono" href={url} target="_blank" rel="noopener" data-testid="msg-attachment-doc">
                {r.title ?? r.source!.media_type} ({Math.ceil((r.size_bytes ?? 0) / 1024)} KB)
              </a>
            );
          }}
        </For>
      </div>
    </Show>
  );
}
