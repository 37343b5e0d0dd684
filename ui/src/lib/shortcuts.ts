import { onCleanup } from "solid-js";

const typing = (el: EventTarget | null) =>
  el instanceof HTMLElement && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));

/**
 * Keyboard shortcuts like Linear's: single keys ("c") and two-key sequences ("g k").
 * Ignored while typing in a field.
 */
export function useShortcuts(map: Record<string, (e: KeyboardEvent) => void>) {
  let pending = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const onKey = (e: KeyboardEvent) => {
    if (e.metaKey || e.ctrlKey || e.altKey || typing(e.target)) return;
    const combo = pending ? `${pending} ${e.key}` : e.key;
    if (map[combo]) {
      e.preventDefault();
      pending = "";
      map[combo]!(e);
      return;
    }
    if (Object.keys(map).some((k) => k.startsWith(`${e.key} `))) {
      pending = e.key;
      clearTimeout(timer);
      timer = setTimeout(() => (pending = ""), 1000);
    } else pending = "";
  };
  window.addEventListener("keydown", onKey);
  onCleanup(() => window.removeEventListener("keydown", onKey));
}
