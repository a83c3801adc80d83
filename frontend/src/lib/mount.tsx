/** `render()` helper for plugin entries: one root element in document.body, styles injected. */
import type { ComponentType } from "react";
import { createRoot } from "react-dom/client";
import { injectBaseStyles } from "./theme";

export function mountPlugin(App: ComponentType): void {
  injectBaseStyles();
  const host = document.createElement("div");
  host.id = "tbs-root";
  document.body.appendChild(host);
  createRoot(host).render(<App />);
}
