/** `render()` helper for plugin entries: one root element in document.body, styles injected, theme followed. */
import type { ComponentType } from "react";
import { createRoot } from "react-dom/client";
import { ExportHtmlButton } from "./ExportHtmlButton";
import { injectBaseStyles } from "./theme";
import { startThemeSync } from "./themeSync";

export function mountPlugin(App: ComponentType): void {
  injectBaseStyles();
  startThemeSync();
  const host = document.createElement("div");
  host.id = "tbs-root";
  document.body.appendChild(host);
  // Inside an export (tb-suite export) there is no server to export from.
  const exported = document.getElementById("tbs-embedded") !== null;
  createRoot(host).render(
    <>
      <App />
      {!exported && <ExportHtmlButton name={pluginName()} />}
    </>,
  );
}

/** The plugin's name from the page's base URL (`.../data/plugin/<name>/`). */
function pluginName(): string {
  return new URL("./", document.baseURI).pathname.split("/").filter(Boolean).pop() ?? "tb-suite";
}
