/**
 * "Export HTML", under every tab (mount.tsx): downloads the offline page of `tb-suite export` from the
 * plugin's `./export` route: the runs and tag the tab shows (as `useRunTagStep` publishes them; all of
 * them in a tab that does not) with every step, within the server's size limit, whose message is shown
 * when the export would pass it. Not shown inside an export.
 */
import { useState } from "react";
import { routeUrl, type Params } from "./api";

let shown: { runs: readonly string[]; tag: string } | null = null;

/** The runs and tag the tab shows now (null: everything). */
export function setShownSelection(selection: { runs: readonly string[]; tag: string } | null): void {
  shown = selection;
}

/** A Python regular expression matching exactly one of `names`. */
export function exactly(names: readonly string[]): string {
  return `^(?:${names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})$`;
}

function exportParams(): Params {
  if (!shown || !shown.tag || !shown.runs.length) return {};
  return { runs: exactly(shown.runs), tags: exactly([shown.tag]) };
}

export function ExportHtmlButton({ name }: { name: string }) {
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  const run = async () => {
    setState({ busy: true, error: null });
    try {
      const response = await fetch(routeUrl("export", exportParams()));
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
        title="Download the runs and tag shown, every step, as one HTML file that opens offline">
        {state.busy ? "Exporting…" : "Export HTML"}
      </button>
      {state.error && <span className="tbs-error" data-testid="export-html-error">{state.error}</span>}
    </div>
  );
}
