/**
 * "Export HTML", under every tab (mount.tsx): downloads the tab's data as the offline page of
 * `tb-suite export` from the plugin's `./export` route (all runs, tags and steps, within the server's
 * size limit, whose message is shown when the export would pass it). Not shown inside an export.
 */
import { useState } from "react";
import { routeUrl } from "./api";

export function ExportHtmlButton({ name }: { name: string }) {
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  const run = async () => {
    setState({ busy: true, error: null });
    try {
      const response = await fetch(routeUrl("export"));
      if (!response.ok) {
        const body = (await response.json().catch(() => ({}))) as { error?: string };
        throw new Error(body.error ?? `HTTP ${response.status}`);
      }
      const url = URL.createObjectURL(await response.blob());
      const link = Object.assign(document.createElement("a"), { href: url, download: `${name}.html` });
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setState({ busy: false, error: null });
    } catch (e) {
      setState({ busy: false, error: (e as Error).message });
    }
  };
  return (
    <div className="tbs-row tbs-export-html">
      <button type="button" data-testid="export-html" disabled={state.busy} onClick={() => void run()}
        title="Download this tab's runs, tags and steps as one HTML file that opens offline">
        {state.busy ? "Exporting…" : "Export HTML"}
      </button>
      {state.error && <span className="tbs-error" data-testid="export-html-error">{state.error}</span>}
    </div>
  );
}
