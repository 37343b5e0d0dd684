import { createSignal } from "solid-js";
import { api } from "../lib/api";
import { AttachButton, blockOf, MAX_FILES, PendingAttachments, readFiles, type Pending } from "./Attachments";
import { toast } from "./ui";

/**
 * The message box under a chat: Enter sends, Shift+Enter is a new line, files can be dropped, pasted or
 * picked, and "interrupt" stops the running turn first (docs/sessions.md).
 */
export function ChatComposer(props: { sessionId: string; finished: boolean; onSent: () => void }) {
  const [text, setText] = createSignal("");
  const [interrupt, setInterrupt] = createSignal(false);
  const [attached, setAttached] = createSignal<Pending[]>([]);
  const attach = async (files: Iterable<File>) => {
    const read = await readFiles(files, toast);
    setAttached((all) => [...all, ...read].slice(0, MAX_FILES));
  };
  const send = async (e: Event) => {
    e.preventDefault();
    if (!text().trim() && !attached().length) return;
    try {
      await api.sessions.send(props.sessionId, text(), interrupt(), attached().map(blockOf));
      setText("");
      setAttached([]);
      setInterrupt(false);
      props.onSent();
    } catch (err) {
      toast((err as Error).message);
    }
  };
  return (
    <form
      class="composer"
      onSubmit={send}
      onDragOver={(e) => e.preventDefault()}
      onDrop={(e) => {
        e.preventDefault();
        if (!props.finished) void attach(e.dataTransfer?.files ?? []);
      }}
    >
      <PendingAttachments items={attached()} onRemove={(i) => setAttached((all) => all.filter((_, j) => j !== i))} />
      <textarea
        aria-label="Message"
        rows={2}
        value={text()}
        disabled={props.finished}
        placeholder={props.finished ? "This session has ended" : "Message the agent (Enter to send, Shift+Enter for a new line)"}
        onInput={(e) => setText(e.currentTarget.value)}
        onPaste={(e) => {
          const files = [...(e.clipboardData?.files ?? [])];
          if (files.length) {
            e.preventDefault();
            void attach(files);
          }
        }}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey) {
            e.preventDefault();
            e.currentTarget.form?.requestSubmit();
          }
        }}
      />
      <div style={{ display: "flex", gap: "8px", "align-items": "center" }}>
        <label class="muted">
          <input type="checkbox" checked={interrupt()} onChange={(e) => setInterrupt(e.currentTarget.checked)} /> interrupt the current turn
        </label>
        <AttachButton disabled={props.finished} onFiles={(files) => void attach(files)} />
        <button class="btn primary" type="submit" disabled={props.finished}>
          Send
        </button>
      </div>
    </form>
  );
}
