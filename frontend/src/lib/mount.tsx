/** `render()` helper for plugin entries: one root element in document.body, styles injected, theme followed. */
import type { ComponentType } from "react";
import { createRoot } from "react-dom/client";
import { injectBaseStyles } from "./theme";
import { startThemeSync } from "./themeSync";

export function mountPlugin(App: ComponentType): void {
  injectBaseStyles();
  startThemeSync();
  const host = document.createElement("div");
  host.id = "tbs-root";
  document.body.appendChild(host);
  createRoot(host).render(<App />);
}
