/**
 * The tab's theme follows TensorBoard's: TensorBoard's theme menu toggles the class `dark-mode` on its
 * document's `body`, which this same-origin iframe reads from `window.parent` and watches with a
 * MutationObserver. Without a readable parent (the plugin page opened on its own) the theme is the
 * system's `prefers-color-scheme`. The current theme is the `data-tbs-theme` attribute ("dark" /
 * "light") of this document's root, which switches the CSS variables of `theme.ts`.
 */
import { darkModeQuery } from "./theme";

/** TensorBoard's body class for its dark theme. */
export const HOST_DARK_CLASS = "dark-mode";

/** The parent TensorBoard document's body, or null without a readable parent. */
export function hostBody(win: Window = window): HTMLElement | null {
  try {
    if (win.parent === win) return null;
    return win.parent.document.body ?? null;
  } catch {
    return null; // cross-origin parent
  }
}

type Listener = (dark: boolean) => void;

class ThemeSync {
  dark = false;
  private readonly listeners = new Set<Listener>();
  private started = false;

  start(win: Window = window): void {
    if (this.started) return;
    this.started = true;
    const body = hostBody(win);
    const query = darkModeQuery();
    if (body) {
      const update = () => this.set(body.classList.contains(HOST_DARK_CLASS));
      new MutationObserver(update).observe(body, { attributes: true, attributeFilter: ["class"] });
      update();
    } else {
      query?.addEventListener("change", () => this.set(query.matches));
      this.set(query?.matches ?? false, true);
    }
  }

  private set(dark: boolean, force = false): void {
    const root = document.documentElement;
    const changed = dark !== this.dark || root.dataset.tbsTheme === undefined;
    this.dark = dark;
    root.dataset.tbsTheme = dark ? "dark" : "light";
    if (changed || force) for (const listener of this.listeners) listener(dark);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

const shared = new ThemeSync();

/** Starts following the theme (once per page); `mountPlugin` and `useDarkMode` call it. */
export function startThemeSync(win: Window = window): void {
  shared.start(win);
}

/** Whether the tab is dark now (starts the sync). */
export function isDark(): boolean {
  shared.start();
  return shared.dark;
}

/** Calls `listener` on every theme change; returns the unsubscribe function. */
export function onThemeChange(listener: Listener): () => void {
  shared.start();
  return shared.subscribe(listener);
}
