import { createSignal } from "solid-js";

type Theme = "light" | "dark";
const systemDark = () => window.matchMedia?.("(prefers-color-scheme: dark)").matches;
const initial = (): Theme => (document.documentElement.dataset.theme as Theme) || (systemDark() ? "dark" : "light");

const [theme, setThemeSignal] = createSignal<Theme>(initial());
export { theme };

export function toggleTheme() {
  const next: Theme = theme() === "dark" ? "light" : "dark";
  document.documentElement.dataset.theme = next;
  try {
    localStorage.setItem("lap-theme", next);
  } catch {}
  setThemeSignal(next);
}
