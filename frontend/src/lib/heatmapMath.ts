/** Pure geometry and pixel work behind the Heatmap component (kept DOM-free for tests). */
import { LUT_SIZE } from "./colormaps";

export interface HeatmapLayout {
  /** Top-left corner of the grid area, CSS pixels. */
  left: number;
  top: number;
  cellW: number;
  cellH: number;
  rows: number;
  cols: number;
  /** Fractional index of the first visible row / column (non-zero when zoomed). */
  row0: number;
  col0: number;
  /** Size of the grid area, CSS pixels. */
  plotW: number;
  plotH: number;
}

/** The cell under a point in CSS pixels, or null outside the grid. */
export function cellAt(layout: HeatmapLayout, x: number, y: number): { row: number; col: number } | null {
  const dx = x - layout.left;
  const dy = y - layout.top;
  if (dx < 0 || dy < 0 || dx >= layout.plotW || dy >= layout.plotH) return null;
  const col = Math.floor(layout.col0 + dx / layout.cellW);
  const row = Math.floor(layout.row0 + dy / layout.cellH);
  if (col < 0 || row < 0 || col >= layout.cols || row >= layout.rows) return null;
  return { row, col };
}

/**
 * Indices in [from, to) of the labels to draw so that consecutive ones are at least `minGap` pixels
 * apart when cells are `cellSize` pixels: multiples of the smallest stride that fits (multiples, so
 * labels stay put while panning).
 */
export function thinLabels(from: number, to: number, cellSize: number, minGap: number): number[] {
  const stride = Math.max(1, Math.ceil(minGap / Math.max(cellSize, 1e-9)));
  const out: number[] = [];
  for (let i = Math.ceil(Math.max(0, from) / stride) * stride; i < to; i += stride) out.push(i);
  return out;
}

/** Zoom (>= 1) and the fractional first row / column of the visible window. */
export interface HeatmapView {
  zoom: number;
  row0: number;
  col0: number;
}

export const FULL_VIEW: HeatmapView = { zoom: 1, row0: 0, col0: 0 };

/**
 * Zooms by `factor` keeping the fractional cell (`row`, `col`) under the same screen point;
 * zoom stays within [1, maxZoom] and the window inside the grid.
 */
export function zoomAt(view: HeatmapView, rows: number, cols: number, row: number, col: number, factor: number, maxZoom: number): HeatmapView {
  const zoom = Math.min(Math.max(view.zoom * factor, 1), Math.max(1, maxZoom));
  const scale = view.zoom / zoom;
  return clampView({ zoom, row0: row - (row - view.row0) * scale, col0: col - (col - view.col0) * scale }, rows, cols);
}

export function clampView(view: HeatmapView, rows: number, cols: number): HeatmapView {
  const clamp = (v: number, n: number) => Math.min(Math.max(v, 0), n - n / view.zoom);
  return { zoom: view.zoom, row0: clamp(view.row0, rows), col0: clamp(view.col0, cols) };
}

/** Finite min and max of the values ([0, 1] when there are none). */
export function finiteRange(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** An RGBA colour as the uint32 that stores those 4 bytes in memory (ImageData's byte order). */
export function packRgba(r: number, g: number, b: number, a: number): number {
  return LITTLE_ENDIAN ? ((a << 24) | (b << 16) | (g << 8) | r) >>> 0 : ((r << 24) | (g << 16) | (b << 8) | a) >>> 0;
}

/** An RGB LUT (`LUT_SIZE * 3` bytes) as opaque packed pixels. */
export function packLut(lut: Uint8Array): Uint32Array {
  const out = new Uint32Array(LUT_SIZE);
  for (let i = 0; i < LUT_SIZE; i++) out[i] = packRgba(lut[i * 3], lut[i * 3 + 1], lut[i * 3 + 2], 255);
  return out;
}

/**
 * Writes one pixel per cell (row-major) into `out`, a Uint32Array view of ImageData bytes. NaN cells
 * get `nanPixel`. This is the hot loop of a 1000x1000 draw: one store per cell, no allocation.
 */
export function fillCellPixels(
  values: ArrayLike<number>,
  lut: Uint32Array,
  lo: number,
  hi: number,
  out: Uint32Array,
  nanPixel = 0,
): void {
  const n = values.length;
  const last = LUT_SIZE - 1;
  const scale = hi > lo ? last / (hi - lo) : 0;
  const mid = Math.round(last / 2);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v !== v) {
      out[i] = nanPixel;
      continue;
    }
    let k = scale ? ((v - lo) * scale + 0.5) | 0 : mid;
    if (k < 0) k = 0;
    else if (k > last) k = last;
    out[i] = lut[k];
  }
}

/**
 * The grid reduced by `factor` in each direction, each block standing for its most extreme cell (the
 * largest, or with `signed` the largest in magnitude, sign kept); NaN cells are ignored, an all-NaN
 * block is NaN. Drawing a grid whose cells are smaller than a pixel from this keeps isolated non-zero
 * cells (sparse errors in a 1000-class matrix) visible, where sampling every n-th cell would drop them.
 */
export function poolExtreme(
  values: ArrayLike<number>,
  rows: number,
  cols: number,
  factor: number,
  signed: boolean,
): { values: Float64Array; rows: number; cols: number } {
  const pr = Math.ceil(rows / factor);
  const pc = Math.ceil(cols / factor);
  const out = new Float64Array(pr * pc).fill(NaN);
  for (let r = 0; r < rows; r++) {
    const base = ((r / factor) | 0) * pc;
    for (let c = 0; c < cols; c++) {
      const v = values[r * cols + c];
      if (v !== v) continue;
      const k = base + ((c / factor) | 0);
      const cur = out[k];
      if (cur !== cur || (signed ? Math.abs(v) > Math.abs(cur) : v > cur)) out[k] = v;
    }
  }
  return { values: out, rows: pr, cols: pc };
}
