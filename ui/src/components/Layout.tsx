import { A, useLocation, useNavigate } from "@solidjs/router";
import { createEffect, createResource, createSignal, For, onCleanup, Show, type JSX } from "solid-js";
import { api, currentTeam, setCurrentTeam, type Me } from "../lib/api";
import { titleOverride, useShortcuts } from "../lib/shortcuts";
import { managedTeams } from "../lib/teams";
import { theme, toggleTheme } from "../lib/theme";
import { CommandPalette, commandsFor, ShortcutSheet } from "./CommandPalette";

export interface NavItem {
  href: string;
  label: string;
  /** Second key of the "g <key>" shortcut. */
  key: string;
  section: string;
  /** Shown to members too (the rest are admin pages: their routes refuse non-admins). */
  member?: boolean;
  /** Shown to a team's admins and owners too (their team's runtimes, vault secrets, MCP servers). */
  teamAdmin?: boolean;
}

/** Later features add their pages here. */
export const NAV: NavItem[] = [
  { href: "/overview", label: "Overview", key: "o", section: "Overview" },
  { href: "/sessions", label: "Sessions", key: "e", section: "Agents", member: true },
  { href: "/approvals", label: "Approvals", key: "i", section: "Agents", member: true },
  { href: "/agents", label: "Agents", key: "a", section: "Agents", member: true },
  { href: "/runtimes", label: "Runtimes", key: "r", section: "Agents", teamAdmin: true },
  { href: "/harnesses", label: "Harnesses", key: "h", section: "Agents", member: true },
  { href: "/skills", label: "Skills", key: "f", section: "Agents", member: true },
  { href: "/rules", label: "Rules", key: "g", section: "Agents", member: true },
  { href: "/schedules", label: "Schedules", key: "d", section: "Automation", member: true },
  { href: "/triggers", label: "Webhook triggers", key: "w", section: "Automation", member: true },
  { href: "/gateway/models", label: "Models & providers", key: "m", section: "LLM gateway" },
  { href: "/gateway/keys", label: "Gateway keys", key: "v", section: "LLM gateway" },
  { href: "/gateway/logs", label: "Logs & spend", key: "l", section: "LLM gateway" },
  { href: "/gateway/usage", label: "Usage", key: "b", section: "LLM gateway" },
  { href: "/mcp-servers", label: "MCP servers", key: "p", section: "MCP", teamAdmin: true },
  { href: "/sandboxes", label: "Sandboxes", key: "x", section: "Sandboxes" },
  { href: "/vault", label: "Vault", key: "y", section: "Sandboxes", teamAdmin: true },
  { href: "/kubernetes", label: "Kubernetes", key: "8", section: "Sandboxes" },
  { href: "/integrations/slack", label: "Slack", key: "c", section: "Integrations" },
  { href: "/integrations", label: "Linear", key: "n", section: "Integrations" },
  { href: "/system", label: "System", key: "s", section: "Settings" },
  { href: "/members", label: "Members", key: "u", section: "Settings", member: true },
  { href: "/keys", label: "API keys", key: "k", section: "Settings", member: true },
  // Team admins read their team's rows; the page says so to anyone else.
  { href: "/audit", label: "Audit trail", key: "j", section: "Settings", member: true },
];

export function Layout(props: { me: Me; children?: JSX.Element; onLogout: () => void }) {
  const navigate = useNavigate();
  const admin = () => props.me.kind === "admin";
  // Team admins and owners manage their team's runtimes, vault secrets and MCP servers.
  const nav = () => NAV.filter((n) => admin() || n.member || (n.teamAdmin && managedTeams(props.me).length > 0));
  const [palette, setPalette] = createSignal(false);
  const [sheet, setSheet] = createSignal(false);
  useShortcuts(
    Object.fromEntries([
      ...nav().map((n) => [`g ${n.key}`, () => navigate(n.href)]),
      ["t", () => toggleTheme()],
      ["?", () => setSheet(true)],
    ]),
  );
  // ⌘K / Ctrl+K opens the palette from anywhere, even while typing in a field.
  const onPaletteKey = (e: KeyboardEvent) => {
    if ((e.metaKey || e.ctrlKey) && !e.altKey && e.key.toLowerCase() === "k") {
      e.preventDefault();
      setSheet(false);
      setPalette((open) => !open);
    }
  };
  window.addEventListener("keydown", onPaletteKey);
  onCleanup(() => window.removeEventListener("keydown", onPaletteKey));
  const commands = () => commandsFor(nav(), admin(), (href) => navigate(href), { toggleTheme, showShortcuts: () => setSheet(true) });
  // A title per page: the page's own (an agent's name) or its menu entry, so tabs and history read well.
  const location = useLocation();
  createEffect(() => {
    const path = location.pathname;
    const item = [...NAV].sort((a, b) => b.href.length - a.href.length).find((n) => path === n.href || path.startsWith(`${n.href}/`));
    const page = titleOverride() ?? (path === "/" ? "Home" : (item?.label ?? "Not found"));
    document.title = `${page} · LAP`;
  });
  const sections = () => [...new Set(nav().map((n) => n.section))];
  // The team switcher: every page then shows (and creates in) that team only.
  const switchTeam = (id: string) => {
    setCurrentTeam(id);
    window.location.reload();
  };
  // Pending tool approvals, shown next to the Approvals link (polled: cheap, one count query).
  const [pending, { refetch: refetchPending }] = createResource(() =>
    api.approvals
      .summary()
      .then((s) => s.pending)
      .catch(() => 0),
  );
  const poll = setInterval(() => refetchPending(), 5000);
  onCleanup(() => clearInterval(poll));
  const logout = async () => {
    await api.auth.logout().catch(() => {});
    props.onLogout();
    navigate("/login", { replace: true });
  };
  return (
    <div class="shell">
      <aside class="sidebar">
        <div class="brand">
          <A href="/" title="Home: get started" aria-label="Home">
            <span class="brand-mark">L</span> LAP
          </A>
          <button
            class="btn ghost sm palette-hint"
            onClick={() => setPalette(true)}
            title="Command palette (⌘K / Ctrl+K); ? lists every shortcut"
            aria-label="Open the command palette"
          >
            <span class="kbd">⌘K</span>
          </button>
        </div>
        <Show when={(props.me.teams ?? []).length > 0}>
          <label class="team-switcher">
            <span class="nav-section">Team</span>
            <select data-testid="team-switcher" aria-label="Team" value={currentTeam()} onChange={(e) => switchTeam(e.currentTarget.value)}>
              <option value="">{admin() ? "All teams" : "All my teams"}</option>
              <For each={props.me.teams}>
                {(t) => (
                  <option value={t.id}>
                    {t.alias} ({t.role})
                  </option>
                )}
              </For>
            </select>
          </label>
        </Show>
        <For each={sections()}>
          {(section) => (
            <nav class="nav" aria-label={section}>
              <div class="nav-section">{section}</div>
              <For each={nav().filter((n) => n.section === section)}>
                {(item) => (
                  <A href={item.href} activeClass="active" end={item.href === "/integrations"}>
                    <span>
                      {item.label}
                      <Show when={item.href === "/approvals" && (pending() ?? 0) > 0}>
                        {" "}
                        <span class="nav-count" data-testid="pending-approvals" role="status" aria-label={`${pending()} pending`}>
                          {pending()}
                        </span>
                      </Show>
                    </span>
                    <span class="kbd" title={`Press g then ${item.key}`}>
                      g {item.key}
                    </span>
                  </A>
                )}
              </For>
            </nav>
          )}
        </For>
        <div class="sidebar-foot">
          <span title={`Signed in with ${props.me.label}`}>{props.me.name}</span>
          <span>
            <button class="btn ghost sm" onClick={toggleTheme} title="Toggle theme (t)" aria-label="Toggle theme">
              {theme() === "dark" ? "☀" : "☾"}
            </button>
            <button class="btn ghost sm" onClick={logout}>
              Log out
            </button>
          </span>
        </div>
      </aside>
      <main class="main">{props.children}</main>
      <Show when={palette()}>
        <CommandPalette commands={commands()} onClose={() => setPalette(false)} />
      </Show>
      <Show when={sheet()}>
        <ShortcutSheet nav={nav()} onClose={() => setSheet(false)} />
      </Show>
    </div>
  );
}
