/**
 * Drawing of a heatmap onto a canvas, and of colour bars: used by `Heatmap` for the live view and,
 * with other colours, for its PNG export; `drawColorBar` also by other tabs' canvases (landscape planes).
 */
import { colormapLut, cssColor, lutIndex, textColorOn, LUT_SIZE, type ColormapName } from "./colormaps";
import type { FigureColors } from "./exportPng";
import { formatNumber } from "./format";
import { FULL_VIEW, fillCellPixels, finiteRange, packLut, packRgba, thinLabels, type HeatmapLayout, type HeatmapView } from "./heatmapMath";

export const FONT = "11px sans-serif";
const LABEL_GAP = 14;
export const MAX_LABEL_PX = 150;
const CELL_TEXT_MIN_W = 30;
const CELL_TEXT_MIN_H = 15;
const BAR_W = 12;
const BAR_GAP = 12;
const CAPTION_H = 18;

/** A heatmap's colour bar: what the colour means and how its scale values read. */
export interface ColorBarSpec {
  /** The meaning of the colour, e.g. "count", "attention weight", "A − B (count)". */
  title: string;
  /** Text of a scale value (domain units); the inverse transform for a log scale. Default `formatNumber`. */
  format?: (value: number) => string;
  /** Short notes next to the ends of the bar, e.g. "A more" / "A fewer". */
  highNote?: string;
  lowNote?: string;
}

export function truncate(ctx: CanvasRenderingContext2D, text: string, maxWidth: number): string {
  if (ctx.measureText(text).width <= maxWidth) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ctx.measureText(text.slice(0, mid) + "…").width <= maxWidth) lo = mid;
    else hi = mid - 1;
  }
  return text.slice(0, lo) + "…";
}

function labelWidth(ctx: CanvasRenderingContext2D, labels: readonly string[], shown: number[]): number {
  let w = 0;
  for (const i of shown) w = Math.max(w, ctx.measureText(labels[i] ?? "").width);
  return Math.min(MAX_LABEL_PX, Math.ceil(w)) + 6;
}

function barTexts(spec: ColorBarSpec, lo: number, hi: number): { hi: string; mid: string; lo: string } {
  const format = spec.format ?? formatNumber;
  return { hi: format(hi), mid: format((lo + hi) / 2), lo: format(lo) };
}

/** CSS pixels a colour bar takes to the right of the chart (bar, scale labels, notes, title). */
export function colorBarWidth(ctx: CanvasRenderingContext2D, spec: ColorBarSpec, lo: number, hi: number): number {
  ctx.font = FONT;
  const t = barTexts(spec, lo, hi);
  const texts = [t.hi, t.mid, t.lo, spec.highNote ?? "", spec.lowNote ?? ""];
  const w = Math.max(...texts.map((s) => ctx.measureText(s).width));
  return BAR_GAP + BAR_W + 4 + Math.ceil(w) + 6 + 14;
}

/** A vertical colour bar at (x, top), `height` tall: high values at the top, labelled, titled. */
export function drawColorBar(
  ctx: CanvasRenderingContext2D,
  opts: { x: number; top: number; height: number; colormap: ColormapName; lo: number; hi: number; spec: ColorBarSpec; colors: FigureColors },
): void {
  const { top, height, lo, hi, spec, colors } = opts;
  const x = opts.x + BAR_GAP;
  const lut = colormapLut(opts.colormap);
  const h = Math.max(height, 40);
  for (let k = 0; k < h; k++) {
    ctx.fillStyle = cssColor(lut, Math.round(((h - 1 - k) / Math.max(h - 1, 1)) * (LUT_SIZE - 1)));
    ctx.fillRect(x, top + k, BAR_W, 1.5);
  }
  ctx.strokeStyle = colors.muted;
  ctx.lineWidth = 0.5;
  ctx.strokeRect(x, top, BAR_W, h);
  const t = barTexts(spec, lo, hi);
  ctx.font = FONT;
  ctx.fillStyle = colors.fg;
  ctx.textAlign = "left";
  const tx = x + BAR_W + 4;
  ctx.textBaseline = "top";
  ctx.fillText(t.hi, tx, top);
  ctx.textBaseline = "middle";
  ctx.fillText(t.mid, tx, top + h / 2);
  ctx.textBaseline = "bottom";
  ctx.fillText(t.lo, tx, top + h);
  ctx.fillStyle = colors.muted;
  if (spec.highNote) {
    ctx.textBaseline = "top";
    ctx.fillText(spec.highNote, tx, top + 13);
  }
  if (spec.lowNote) {
    ctx.textBaseline = "bottom";
    ctx.fillText(spec.lowNote, tx, top + h - 13);
  }
  const textW = Math.max(...[t.hi, t.mid, t.lo, spec.highNote ?? "", spec.lowNote ?? ""].map((s) => ctx.measureText(s).width));
  ctx.save();
  ctx.translate(tx + textW + 8, top + h / 2);
  ctx.rotate(Math.PI / 2);
  ctx.textAlign = "center";
  ctx.textBaseline = "bottom";
  ctx.fillStyle = colors.fg;
  ctx.fillText(truncate(ctx, spec.title, h), 0, 0);
  ctx.restore();
}

export interface HeatmapPaint {
  rows: number;
  cols: number;
  values: ArrayLike<number>;
  rowLabels: readonly string[];
  colLabels: readonly string[];
  rowTitle?: string;
  colTitle?: string;
  colormap: ColormapName;
  lo: number;
  hi: number;
  /** Width available, CSS pixels. */
  width: number;
  maxSize: number;
  view: HeatmapView;
  formatCell: (value: number) => string;
  colorBar: ColorBarSpec | null;
  /** A line under the grid (what a diverging scale means). */
  caption?: string;
  colors: FigureColors;
  dpr: number;
  /** The grid pooled by `factor` (`poolExtreme`), drawn instead of `cells` when cells are under a device pixel. */
  pooled?: (factor: number) => HTMLCanvasElement;
}

/**
 * Draws the heatmap (one pixel per cell in `cells`, scaled; from `pooled` when cells are smaller than
 * a device pixel) onto `el`, sizing it; returns the layout.
 */
export function paintHeatmap(el: HTMLCanvasElement, cells: HTMLCanvasElement, p: HeatmapPaint): HeatmapLayout {
  const { rows, cols, values, rowLabels, colLabels, view, colors, lo, hi, dpr } = p;
  const ctx = el.getContext("2d")!;
  const spanR = rows / view.zoom;
  const spanC = cols / view.zoom;
  ctx.font = FONT;
  const barW = p.colorBar ? colorBarWidth(ctx, p.colorBar, lo, hi) : 0;

  // Margins from a first guess of the cell size (labels are thinned by that size).
  const guessCell = Math.max(50, Math.min(p.maxSize, p.width - 200 - barW)) / Math.max(spanR, spanC);
  const rowGuess = thinLabels(view.row0, view.row0 + spanR, guessCell, LABEL_GAP);
  const colGuess = thinLabels(view.col0, view.col0 + spanC, guessCell, LABEL_GAP);
  ctx.font = FONT;
  const left = labelWidth(ctx, rowLabels, rowGuess) + (p.rowTitle ? LABEL_GAP + 4 : 0);
  const bottom = labelWidth(ctx, colLabels, colGuess) + (p.colTitle ? LABEL_GAP + 4 : 0) + (p.caption ? CAPTION_H : 0);
  const top = 8;
  const side = Math.max(50, Math.min(p.maxSize, p.width - left - 12 - barW));
  const cell = side / Math.max(spanR, spanC);
  const plotW = cell * spanC;
  const plotH = cell * spanR;
  const cssW = Math.ceil(left + plotW + 12 + barW);
  const cssH = Math.ceil(top + Math.max(plotH, p.colorBar ? 40 : 0) + bottom);
  el.width = Math.round(cssW * dpr);
  el.height = Math.round(cssH * dpr);
  el.style.width = `${cssW}px`;
  el.style.height = `${cssH}px`;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = colors.bg;
  ctx.fillRect(0, 0, cssW, cssH);
  ctx.imageSmoothingEnabled = false;
  const factor = cell * dpr < 1 ? Math.ceil(1 / (cell * dpr)) : 1;
  if (factor >= 2 && p.pooled) {
    const f = factor;
    ctx.drawImage(p.pooled(f), view.col0 / f, view.row0 / f, spanC / f, spanR / f, left, top, plotW, plotH);
  } else {
    ctx.drawImage(cells, view.col0, view.row0, spanC, spanR, left, top, plotW, plotH);
  }

  const r0 = Math.floor(view.row0);
  const c0 = Math.floor(view.col0);
  const r1 = Math.min(rows, Math.ceil(view.row0 + spanR));
  const c1 = Math.min(cols, Math.ceil(view.col0 + spanC));
  const x = (c: number) => left + (c - view.col0) * cell;
  const y = (r: number) => top + (r - view.row0) * cell;
  ctx.font = FONT;
  if (cell >= CELL_TEXT_MIN_W && cell >= CELL_TEXT_MIN_H) {
    const lut = colormapLut(p.colormap);
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, plotW, plotH);
    ctx.clip();
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    for (let r = r0; r < r1; r++) {
      for (let c = c0; c < c1; c++) {
        const v = values[r * cols + c];
        const k = lutIndex(v, lo, hi);
        ctx.fillStyle = k < 0 ? colors.fg : textColorOn(lut, k);
        ctx.fillText(truncate(ctx, p.formatCell(v), cell - 4), x(c + 0.5), y(r + 0.5));
      }
    }
    ctx.restore();
  }

  ctx.fillStyle = colors.fg;
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const r of thinLabels(view.row0, view.row0 + spanR, cell, LABEL_GAP)) {
    if (y(r + 0.5) > top + plotH) continue;
    ctx.fillText(truncate(ctx, rowLabels[r] ?? String(r), MAX_LABEL_PX), left - 4, y(r + 0.5));
  }
  for (const c of thinLabels(view.col0, view.col0 + spanC, cell, LABEL_GAP)) {
    if (x(c + 0.5) > left + plotW) continue;
    ctx.save();
    ctx.translate(x(c + 0.5), top + plotH + 4);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(truncate(ctx, colLabels[c] ?? String(c), MAX_LABEL_PX), 0, 0);
    ctx.restore();
  }
  ctx.fillStyle = colors.muted;
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  const captionH = p.caption ? CAPTION_H : 0;
  if (p.colTitle) ctx.fillText(p.colTitle, left + plotW / 2, cssH - LABEL_GAP - captionH);
  if (p.rowTitle) {
    ctx.save();
    ctx.translate(2, top + plotH / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(p.rowTitle, 0, 0);
    ctx.restore();
  }
  if (p.caption) {
    ctx.textAlign = "left";
    ctx.fillStyle = colors.fg;
    ctx.fillText(truncate(ctx, p.caption, cssW - 8), 4, cssH - captionH + 2);
  }
  if (p.colorBar) {
    drawColorBar(ctx, { x: left + plotW, top, height: plotH, colormap: p.colormap, lo, hi, spec: p.colorBar, colors });
  }
  return { left, top, cellW: cell, cellH: cell, rows, cols, row0: view.row0, col0: view.col0, plotW, plotH };
}

/**
 * A heatmap drawn on its own canvas (no component), for exporting grids that are shown otherwise
 * (tables, thumbnails): cells, labels, colour bar, at `dpr` device pixels per CSS pixel.
 */
export function renderHeatmapCanvas(
  p: Omit<HeatmapPaint, "lo" | "hi" | "view" | "maxSize" | "width" | "formatCell" | "dpr" | "pooled"> & {
    domain?: [number, number];
    formatCell?: (value: number) => string;
    cellSize?: number;
    dpr: number;
  },
): HTMLCanvasElement {
  const [lo, hi] = p.domain ?? finiteRange(p.values);
  const cells = document.createElement("canvas");
  cells.width = p.cols;
  cells.height = p.rows;
  const cctx = cells.getContext("2d")!;
  const image = cctx.createImageData(p.cols, p.rows);
  fillCellPixels(p.values, packLut(colormapLut(p.colormap)), lo, hi, new Uint32Array(image.data.buffer), packRgba(200, 200, 200, 255));
  cctx.putImageData(image, 0, 0);
  const cell = p.cellSize ?? Math.max(40, 240 / Math.max(p.rows, p.cols));
  const out = document.createElement("canvas");
  paintHeatmap(out, cells, {
    ...p,
    lo,
    hi,
    view: FULL_VIEW,
    maxSize: cell * Math.max(p.rows, p.cols),
    width: cell * Math.max(p.rows, p.cols) + 400,
    formatCell: p.formatCell ?? formatNumber,
  });
  return out;
}
