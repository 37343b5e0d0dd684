import { useSearchParams } from "@solidjs/router";
import { createEffect, createSignal, onCleanup } from "solid-js";

const typing = (el: EventTarget | null) =>
  el instanceof HTMLElement && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));

type ShortcutMap = Record<string, (e: KeyboardEvent) => void>;

/**
 * Every mounted component's shortcuts, newest last, read by one window listener. One listener (not one
 * per component) so a sequence is seen once: "g c" (go to Slack) never also fires a page's "c" (create).
 */
const active: ShortcutMap[] = [];
let pending = "";
let timer: ReturnType<typeof setTimeout> | undefined;

function onKey(e: KeyboardEvent) {
  if (e.metaKey || e.ctrlKey || e.altKey || typing(e.target)) return;
  // An open dialog (a form, the palette, the shortcut sheet) has the keyboard to itself.
  if (document.querySelector('[role="dialog"]')) return;
  const combo = pending ? `${pending} ${e.key}` : e.key;
  for (let i = active.length - 1; i >= 0; i--) {
    const run = active[i]![combo];
    if (run) {
      e.preventDefault();
      pending = "";
      run(e);
      return;
    }
  }
  if (!pending && active.some((m) => Object.keys(m).some((k) => k.startsWith(`${e.key} `)))) {
    pending = e.key;
    clearTimeout(timer);
    timer = setTimeout(() => (pending = ""), 1000);
  } else pending = "";
}

/**
 * Keyboard shortcuts like Linear's: single keys ("c") and two-key sequences ("g k"), for as long as
 * the calling component is mounted. Ignored while typing in a field or while a dialog is open.
 */
export function useShortcuts(map: ShortcutMap) {
  if (!active.length) window.addEventListener("keydown", onKey);
  active.push(map);
  onCleanup(() => {
    const i = active.indexOf(map);
    if (i >= 0) active.splice(i, 1);
    if (!active.length) window.removeEventListener("keydown", onKey);
  });
}

/**
 * A list page's create action: `c` opens it, and so does `?new=1` in the URL (the command palette's
 * "New …" commands and the get-started checklist link there). The parameter is removed once used.
 */
export function useCreate(open: () => void) {
  const [params, setParams] = useSearchParams();
  useShortcuts({ c: () => open() });
  createEffect(() => {
    if (params.new !== "1") return;
    open();
    setParams({ new: undefined }, { replace: true });
  });
}

/** A page that knows a better title than its menu entry (an agent's name, a session's title). */
const [titleOverride, setTitleOverride] = createSignal<string | null>(null);
export { titleOverride };
export function usePageTitle(title: () => string | null | undefined) {
  createEffect(() => setTitleOverride(title() || null));
  onCleanup(() => setTitleOverride(null));
}
