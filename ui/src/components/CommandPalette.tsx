import { createMemo, createSignal, For, onCleanup, onMount, Show } from "solid-js";
import { Portal } from "solid-js/web";
import type { NavItem } from "./Layout";

export interface Command {
  label: string;
  /** What it does, shown muted beside the label. */
  hint: string;
  run: () => void;
  /** The single-key shortcut that does the same, if any. */
  keys?: string;
}

/** "New …" commands: each opens its list page's create form (`?new=1`, see useCreate in lib/shortcuts.ts). */
const CREATE: Array<{ label: string; href: string; member?: boolean }> = [
  { label: "Start a session", href: "/sessions", member: true },
  { label: "New agent", href: "/agents", member: true },
  { label: "New schedule", href: "/schedules", member: true },
  { label: "New webhook trigger", href: "/triggers", member: true },
  { label: "New API key", href: "/keys", member: true },
  { label: "Add model", href: "/gateway/models" },
  { label: "New gateway key", href: "/gateway/keys" },
  { label: "Add runtime", href: "/runtimes" },
  { label: "Add MCP server", href: "/mcp-servers" },
  { label: "Add vault secret", href: "/vault" },
];

/** Every command the palette offers to this caller: go to each page, create each kind of object, and a few actions. */
export function commandsFor(
  nav: NavItem[],
  admin: boolean,
  navigate: (href: string) => void,
  actions: { toggleTheme: () => void; showShortcuts: () => void },
): Command[] {
  return [
    { label: "Home", hint: "Get started", run: () => navigate("/") },
    ...nav.map((n) => ({ label: n.label, hint: `Go to · ${n.section}`, keys: `g ${n.key}`, run: () => navigate(n.href) })),
    ...CREATE.filter((c) => admin || c.member).map((c) => ({
      label: c.label,
      hint: "Create",
      keys: "c",
      run: () => navigate(`${c.href}?new=1`),
    })),
    { label: "Toggle theme", hint: "Light or dark", keys: "t", run: actions.toggleTheme },
    { label: "Keyboard shortcuts", hint: "Show them all", keys: "?", run: actions.showShortcuts },
  ];
}

/** Case-insensitive: every word of the query must start a word of the label or hint (or appear in the label). */
export function matchCommands(commands: Command[], query: string): Command[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return commands;
  return commands.filter((c) => {
    const text = `${c.label} ${c.hint}`.toLowerCase();
    return words.every((w) => c.label.toLowerCase().includes(w) || text.split(/[\s·&]+/).some((t) => t.startsWith(w)));
  });
}

/** ⌘K / Ctrl+K: type to filter, arrows to move, Enter to run, Escape to close. */
export function CommandPalette(props: { commands: Command[]; onClose: () => void }) {
  const [query, setQuery] = createSignal("");
  const [index, setIndex] = createSignal(0);
  const results = createMemo(() => matchCommands(props.commands, query()));
  let input: HTMLInputElement | undefined;
  onMount(() => input?.focus());
  const run = (c: Command | undefined) => {
    if (!c) return;
    props.onClose();
    c.run();
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === "Escape") props.onClose();
    else if (e.key === "ArrowDown") setIndex((i) => Math.min(i + 1, results().length - 1));
    else if (e.key === "ArrowUp") setIndex((i) => Math.max(i - 1, 0));
    else if (e.key === "Enter") run(results()[index()]);
    else return;
    e.preventDefault();
  };
  return (
    <Portal>
      <div class="backdrop palette-backdrop" onMouseDown={(e) => e.target === e.currentTarget && props.onClose()}>
        <div class="dialog palette" role="dialog" aria-modal="true" aria-label="Command palette" onKeyDown={onKey}>
          <input
            ref={input}
            type="search"
            aria-label="Command"
            placeholder="Go to a page, create something…"
            value={query()}
            onInput={(e) => {
              setQuery(e.currentTarget.value);
              setIndex(0);
            }}
            role="combobox"
            aria-expanded="true"
            aria-controls="palette-results"
            aria-activedescendant={results().length ? `palette-${index()}` : undefined}
          />
          <ul id="palette-results" role="listbox" class="palette-results">
            <For each={results()} fallback={<li class="muted palette-empty">No command matches</li>}>
              {(c, i) => (
                <li
                  id={`palette-${i()}`}
                  role="option"
                  aria-selected={i() === index()}
                  classList={{ active: i() === index() }}
                  onMouseEnter={() => setIndex(i())}
                  onMouseDown={(e) => {
                    e.preventDefault();
                    run(c);
                  }}
                >
                  <span>
                    {c.label} <span class="muted">{c.hint}</span>
                  </span>
                  <Show when={c.keys}>
                    <span class="kbd">{c.keys}</span>
                  </Show>
                </li>
              )}
            </For>
          </ul>
        </div>
      </div>
    </Portal>
  );
}

/** `?`: every shortcut, from the same table the palette and the sidebar use. */
export function ShortcutSheet(props: { nav: NavItem[]; onClose: () => void }) {
  const onKey = (e: KeyboardEvent) => (e.key === "Escape" || e.key === "?") && (e.preventDefault(), props.onClose());
  onMount(() => window.addEventListener("keydown", onKey));
  onCleanup(() => window.removeEventListener("keydown", onKey));
  const general: Array<[string, string]> = [
    ["⌘K / Ctrl+K", "Command palette: go anywhere, create anything"],
    ["c", "Create on a list page (new agent, key, model, schedule …); on Sessions, type a first message"],
    ["/", "On Sessions, search titles and messages"],
    ["t", "Toggle light / dark"],
    ["?", "This sheet"],
    ["Esc", "Close a dialog"],
  ];
  return (
    <Portal>
      <div class="backdrop" onMouseDown={(e) => e.target === e.currentTarget && props.onClose()}>
        <div class="dialog shortcut-sheet" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts">
          <header>Keyboard shortcuts</header>
          <div class="body">
            <table>
              <tbody>
                <For each={general}>
                  {([k, what]) => (
                    <tr>
                      <td>
                        <span class="kbd">{k}</span>
                      </td>
                      <td>{what}</td>
                    </tr>
                  )}
                </For>
                <For each={props.nav}>
                  {(n) => (
                    <tr>
                      <td>
                        <span class="kbd">g {n.key}</span>
                      </td>
                      <td>Go to {n.label}</td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </div>
          <footer>
            <button class="btn" onClick={props.onClose}>
              Close
            </button>
          </footer>
        </div>
      </div>
    </Portal>
  );
}
