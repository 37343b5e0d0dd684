import { createSignal, For, type JSX, onCleanup, onMount, Show } from "solid-js";
import { Portal } from "solid-js/web";

export function EmptyState(props: { title: string; children?: JSX.Element; action?: JSX.Element }) {
  return (
    <div class="empty">
      <h3>{props.title}</h3>
      <Show when={props.children}>
        <p>{props.children}</p>
      </Show>
      {props.action}
    </div>
  );
}

export function ErrorAlert(props: { error: unknown; retry?: () => void }) {
  const message = () => (props.error instanceof Error ? props.error.message : String(props.error));
  return (
    <div class="alert" role="alert">
      <strong>Could not load this page.</strong> {message()}{" "}
      <Show when={props.retry}>
        <button class="btn sm" onClick={() => props.retry?.()}>
          Try again
        </button>
      </Show>
    </div>
  );
}

export function SkeletonRows(props: { rows?: number; cols: number }) {
  return (
    <For each={Array.from({ length: props.rows ?? 3 })}>
      {() => (
        <tr>
          <For each={Array.from({ length: props.cols })}>
            {() => (
              <td>
                <div class="skeleton" />
              </td>
            )}
          </For>
        </tr>
      )}
    </For>
  );
}

/** Modal dialog: Escape closes it, focus starts on the first field. */
export function Dialog(props: {
  title: string;
  onClose: () => void;
  children: JSX.Element;
  footer: JSX.Element;
  onSubmit?: (e: Event) => void;
}) {
  let ref: HTMLDivElement | undefined;
  const onKey = (e: KeyboardEvent) => e.key === "Escape" && props.onClose();
  onMount(() => {
    window.addEventListener("keydown", onKey);
    ref?.querySelector<HTMLElement>("input, select, textarea, button")?.focus();
  });
  onCleanup(() => window.removeEventListener("keydown", onKey));
  return (
    <Portal>
      <div class="backdrop" onMouseDown={(e) => e.target === e.currentTarget && props.onClose()}>
        <div class="dialog" role="dialog" aria-modal="true" aria-label={props.title} ref={ref}>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              props.onSubmit?.(e);
            }}
          >
            <header>{props.title}</header>
            <div class="body">{props.children}</div>
            <footer>{props.footer}</footer>
          </form>
        </div>
      </div>
    </Portal>
  );
}

const [toasts, setToasts] = createSignal<{ id: number; text: string }[]>([]);
let toastId = 0;
export function toast(text: string) {
  const id = ++toastId;
  setToasts((t) => [...t, { id, text }]);
  setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), 2500);
}
export function Toasts() {
  return (
    <div class="toasts" role="status" aria-live="polite">
      <For each={toasts()}>{(t) => <div class="toast">{t.text}</div>}</For>
    </div>
  );
}

export function CopyButton(props: { value: string; label?: string }) {
  const [copied, setCopied] = createSignal(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.value);
    } catch {
      // Clipboard API needs a secure context; fall back to a hidden textarea.
      const ta = document.createElement("textarea");
      ta.value = props.value;
      document.body.append(ta);
      ta.select();
      document.execCommand("copy");
      ta.remove();
    }
    setCopied(true);
    toast("Copied to clipboard");
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <button class="btn sm" type="button" onClick={copy}>
      {copied() ? "Copied" : (props.label ?? "Copy")}
    </button>
  );
}
