/**
 * Shared styles, injected as <style> elements (the bundle ships no CSS files). Colours are CSS
 * variables switched by the `data-tbs-theme` attribute of the root element, which `themeSync.ts`
 * keeps in step with TensorBoard's own theme menu (or `prefers-color-scheme` outside TensorBoard).
 */
import uplotCss from "uplot/dist/uPlot.min.css?inline";
import { colorsFromOrder, knownRunOrder, paletteColor } from "./runColors";

const BASE_CSS = `
:root {
  color-scheme: light;
  --tbs-bg: #ffffff; --tbs-fg: #202124; --tbs-muted: #5f6368; --tbs-border: #dadce0;
  --tbs-panel: #f8f9fa; --tbs-accent: #f57c00; --tbs-error-bg: #fdecea; --tbs-error-fg: #a50e0e;
  --tbs-grid: rgba(0,0,0,0.08); --tbs-tooltip-bg: rgba(32,33,36,0.92); --tbs-tooltip-fg: #fff;
}
:root[data-tbs-theme="dark"] {
  color-scheme: dark;
  --tbs-bg: #202124; --tbs-fg: #e8eaed; --tbs-muted: #9aa0a6; --tbs-border: #3c4043;
  --tbs-panel: #292a2d; --tbs-accent: #ffa726; --tbs-error-bg: #5c1a1a; --tbs-error-fg: #f6aea9;
  --tbs-grid: rgba(255,255,255,0.1); --tbs-tooltip-bg: rgba(241,243,244,0.95); --tbs-tooltip-fg: #202124;
}
html, body { margin: 0; background: var(--tbs-bg); color: var(--tbs-fg);
  font: 13px/1.4 Roboto, "Helvetica Neue", Arial, sans-serif; }
.tbs-app { padding: 12px 16px; display: flex; flex-direction: column; gap: 12px; }
.tbs-toolbar { display: flex; flex-wrap: wrap; gap: 12px 20px; align-items: flex-start; }
.tbs-field { display: flex; flex-direction: column; gap: 4px; }
.tbs-field > .tbs-label { font-size: 11px; text-transform: uppercase; letter-spacing: .04em; color: var(--tbs-muted); }
.tbs-row { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.tbs-panel { background: var(--tbs-panel); border: 1px solid var(--tbs-border); border-radius: 6px; padding: 10px; }
.tbs-panel h3 { margin: 0 0 8px; font-size: 13px; font-weight: 500; }
.tbs-muted { color: var(--tbs-muted); }
.tbs-error { background: var(--tbs-error-bg); color: var(--tbs-error-fg); padding: 8px 10px; border-radius: 4px; white-space: pre-wrap; }
.tbs-app select, .tbs-app button, .tbs-app input { font: inherit; color: var(--tbs-fg); background: var(--tbs-bg);
  border: 1px solid var(--tbs-border); border-radius: 4px; padding: 3px 6px; }
.tbs-app button { cursor: pointer; }
.tbs-app button[aria-pressed="true"] { border-color: var(--tbs-accent); box-shadow: inset 0 0 0 1px var(--tbs-accent); }
.tbs-runs { display: flex; flex-direction: column; gap: 2px; max-height: 140px; overflow: auto; min-width: 160px; }
.tbs-runs label { display: flex; gap: 6px; align-items: center; white-space: nowrap; cursor: pointer; }
.tbs-run-tools { display: flex; gap: 4px; align-items: center; margin-bottom: 2px; }
.tbs-run-tools input { width: 150px; }
.tbs-run-tools input[aria-invalid="true"] { border-color: var(--tbs-error-fg); }
.tbs-run-tools button { font-size: 11px; padding: 1px 6px; }
.tbs-colorbar { display: flex; gap: 6px; align-items: center; font-size: 11px; }
.tbs-colorbar-ramp { display: inline-block; width: 120px; height: 10px; border: 1px solid var(--tbs-border); }
.tbs-popover { position: fixed; z-index: 20; pointer-events: none; max-width: min(460px, calc(100vw - 16px));
  max-height: calc(100vh - 16px); overflow: hidden; box-shadow: 0 4px 16px rgba(0,0,0,0.25); }
.tbs-matrix-tools { margin-bottom: 4px; }
.tbs-top-confusions { margin: 0; padding: 0 0 0 22px; max-height: 520px; overflow-y: auto; font-size: 12px; min-width: 200px; }
.tbs-top-confusions button { display: flex; flex-direction: column; align-items: flex-start; border: none; background: none;
  padding: 2px 0; text-align: left; max-width: 260px; }
.tbs-top-confusions button span { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; max-width: 260px; }
.tbs-top-confusions button:hover span:first-child { text-decoration: underline; }
.tbs-empty { border: 1px dashed var(--tbs-border); border-radius: 6px; padding: 16px; color: var(--tbs-muted); }
.tbs-swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; flex: none; }
.tbs-slider { display: flex; gap: 8px; align-items: center; min-width: 260px; }
.tbs-slider input[type=range] { flex: 1; padding: 0; }
.tbs-heatmap { position: relative; display: inline-block; max-width: 100%; }
.tbs-heatmap canvas { display: block; }
.tbs-zoom-reset { position: absolute; top: -30px; right: 0; }
.tbs-cell-box { position: absolute; pointer-events: none; box-sizing: border-box; }
.tbs-cell-box.hover { border: 1px solid var(--tbs-fg); }
.tbs-cell-box.selected { border: 2px solid var(--tbs-accent); }
.tbs-tooltip { position: absolute; pointer-events: none; z-index: 10; background: var(--tbs-tooltip-bg);
  color: var(--tbs-tooltip-fg); padding: 6px 8px; border-radius: 4px; font-size: 12px; white-space: pre;
  max-width: 420px; overflow: hidden; text-overflow: ellipsis; }
.tbs-chart { position: relative; }
.tbs-legend { display: flex; flex-wrap: wrap; gap: 2px 12px; font-size: 12px; max-height: 132px; overflow-y: auto;
  overscroll-behavior: contain; padding-right: 4px; }
.tbs-legend > span { display: inline-flex; gap: 4px; align-items: center; white-space: nowrap; }
.tbs-legend-swatch { flex: none; }
.tbs-legend-summary { font-size: 12px; font-weight: 500; margin-bottom: 2px; }
.tbs-chart-tools { display: flex; justify-content: flex-end; }
.tbs-export { display: inline-flex; }
.tbs-export button { font-size: 11px; padding: 1px 6px; }
.tbs-export button + button { border-left: none; border-top-left-radius: 0; border-bottom-left-radius: 0; }
.tbs-export button:first-child:not(:last-child) { border-top-right-radius: 0; border-bottom-right-radius: 0; }
.tbs-heatmap-tools { margin-bottom: 4px; }
.tbs-hover-readout { min-height: 1.4em; font-size: 12px; color: var(--tbs-muted); white-space: pre; }
.tbs-table { border-collapse: collapse; font-size: 12px; width: 100%; }
.tbs-table th, .tbs-table td { padding: 3px 8px; border-bottom: 1px solid var(--tbs-border); text-align: right; }
.tbs-table th:first-child, .tbs-table td:first-child { text-align: left; }
.tbs-table th { cursor: pointer; user-select: none; position: sticky; top: 0; background: var(--tbs-panel); }
.tbs-scroll { max-height: 360px; overflow: auto; }
`;

/** Adds a <style> element once per id. */
export function injectStyle(id: string, css: string): void {
  if (document.getElementById(id)) return;
  const style = document.createElement("style");
  style.id = id;
  style.textContent = css;
  document.head.appendChild(style);
}

export function injectBaseStyles(): void {
  injectStyle("tbs-uplot-css", uplotCss);
  injectStyle("tbs-base-css", BASE_CSS);
}

/** Resolves a CSS variable for canvas drawing (canvas cannot use var()). */
export function cssVar(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

const RUN_PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

/**
 * A colour per run, TensorBoard's way (`runColors.ts`): by position in `order` (default: TensorBoard's
 * run list as far as the page has fetched it, else name order). Prefer `useRunColors`, which re-renders
 * when that list arrives and follows the theme.
 */
export function runColors(runs: readonly string[], order: readonly string[] | null = knownRunOrder(runs), dark = false): Map<string, string> {
  return colorsFromOrder(runs, order, dark);
}

/** The colour of `run` in a `runColors` map (the palette's first for a run not in it). */
export function runColor(colors: Map<string, string>, run: string): string {
  return colors.get(run) ?? paletteColor(0);
}

/** Category10, then its light variants (tab20's): 20 distinct series colours before any repeats. */
const SERIES_PALETTE = [
  ...RUN_PALETTE,
  "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
];

/** Distinct colours for series within a chart (classes, layers, heads), cycling a 20-colour palette. */
export function seriesColor(index: number): string {
  return SERIES_PALETTE[index % SERIES_PALETTE.length];
}

/** The system's `prefers-color-scheme: dark` query (the theme outside TensorBoard; see `themeSync.ts`). */
export function darkModeQuery(): MediaQueryList | null {
  return typeof matchMedia === "function" ? matchMedia("(prefers-color-scheme: dark)") : null;
}
