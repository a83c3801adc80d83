import { describe, expect, it } from "vitest";
import { colormapLut } from "./colormaps";
import {
  FULL_VIEW,
  cellAt,
  clampView,
  fillCellPixels,
  finiteRange,
  packLut,
  packRgba,
  poolExtreme,
  thinLabels,
  zoomAt,
  type HeatmapLayout,
} from "./heatmapMath";

const layoutOf = (l: Partial<HeatmapLayout> & { cellW: number; cellH: number; rows: number; cols: number }): HeatmapLayout => ({
  left: 0,
  top: 0,
  row0: 0,
  col0: 0,
  plotW: l.cellW * l.cols,
  plotH: l.cellH * l.rows,
  ...l,
});

describe("cellAt", () => {
  const layout = layoutOf({ left: 100, top: 10, cellW: 5, cellH: 4, rows: 3, cols: 4 });
  it("finds the cell under a point", () => {
    expect(cellAt(layout, 100, 10)).toEqual({ row: 0, col: 0 });
    expect(cellAt(layout, 104.9, 13.9)).toEqual({ row: 0, col: 0 });
    expect(cellAt(layout, 105, 14)).toEqual({ row: 1, col: 1 });
    expect(cellAt(layout, 119.9, 21.9)).toEqual({ row: 2, col: 3 });
  });
  it("returns null outside the grid", () => {
    expect(cellAt(layout, 99.9, 12)).toBeNull();
    expect(cellAt(layout, 120, 12)).toBeNull();
    expect(cellAt(layout, 110, 22)).toBeNull();
    expect(cellAt(layout, 110, 9)).toBeNull();
  });
  it("handles sub-pixel cells of a 1000-class grid", () => {
    const big = layoutOf({ cellW: 0.72, cellH: 0.72, rows: 1000, cols: 1000 });
    expect(cellAt(big, 719.9, 0.5)).toEqual({ row: 0, col: 999 });
    expect(cellAt(big, 360, 360)).toEqual({ row: 500, col: 500 });
  });
  it("accounts for the zoomed window", () => {
    // zoom 10 on 1000 classes: 100 visible, 7.2 px cells, window starting at row 250.5, col 900
    const zoomed = layoutOf({ cellW: 7.2, cellH: 7.2, rows: 1000, cols: 1000, row0: 250.5, col0: 900, plotW: 720, plotH: 720 });
    expect(cellAt(zoomed, 0, 0)).toEqual({ row: 250, col: 900 });
    expect(cellAt(zoomed, 719, 3.7)).toEqual({ row: 251, col: 999 });
    expect(cellAt(zoomed, 720, 10)).toBeNull();
  });
});

describe("zoomAt / clampView", () => {
  it("keeps the anchor cell under the cursor", () => {
    const v = zoomAt(FULL_VIEW, 1000, 1000, 400, 600, 4, 500);
    expect(v.zoom).toBe(4);
    // The anchor's fraction of the window is unchanged: 400/1000 before, (400 - row0) / 250 after.
    expect((400 - v.row0) / 250).toBeCloseTo(0.4);
    expect((600 - v.col0) / 250).toBeCloseTo(0.6);
  });
  it("clamps zoom and keeps the window inside the grid", () => {
    expect(zoomAt(FULL_VIEW, 10, 10, 5, 5, 0.5, 5)).toEqual(FULL_VIEW);
    expect(zoomAt(FULL_VIEW, 10, 10, 5, 5, 100, 5).zoom).toBe(5);
    const edge = zoomAt(FULL_VIEW, 100, 100, 99.9, 0, 2, 50);
    expect(edge.row0).toBeLessThanOrEqual(50);
    expect(edge.col0).toBe(0);
    expect(clampView({ zoom: 2, row0: -5, col0: 80 }, 100, 100)).toEqual({ zoom: 2, row0: 0, col0: 50 });
  });
});

describe("thinLabels", () => {
  it("keeps every label when cells are large enough", () => {
    expect(thinLabels(0, 5, 20, 14)).toEqual([0, 1, 2, 3, 4]);
  });
  it("keeps labels at least minGap apart", () => {
    const shown = thinLabels(0, 1000, 0.72, 14);
    expect(shown[0]).toBe(0);
    const stride = shown[1] - shown[0];
    expect(stride * 0.72).toBeGreaterThanOrEqual(14);
    expect((stride - 1) * 0.72).toBeLessThan(14);
    expect(shown.length).toBe(Math.ceil(1000 / stride));
  });
  it("labels a window with multiples of the stride", () => {
    expect(thinLabels(3.5, 12, 5, 14)).toEqual([6, 9]);
    expect(thinLabels(0, 0, 10, 14)).toEqual([]);
  });
});

describe("fillCellPixels", () => {
  const bytes = (out: Uint32Array, i: number) => Array.from(new Uint8Array(out.buffer, i * 4, 4));
  it("writes one RGBA pixel per value from the LUT, NaN in its own colour", () => {
    const lut = packLut(colormapLut("greys"));
    const out = new Uint32Array(4);
    fillCellPixels([0, 10, 5, NaN], lut, 0, 10, out, packRgba(1, 2, 3, 4));
    expect(bytes(out, 0)).toEqual([255, 255, 255, 255]);
    expect(bytes(out, 1)).toEqual([0, 0, 0, 255]);
    expect(bytes(out, 2)[0]).toBeGreaterThan(120);
    expect(bytes(out, 2)[0]).toBeLessThan(135);
    expect(bytes(out, 3)).toEqual([1, 2, 3, 4]);
  });
  it("uses the middle colour for a constant matrix", () => {
    const out = new Uint32Array(1);
    fillCellPixels([3], packLut(colormapLut("greys")), 3, 3, out);
    expect(bytes(out, 0)[0]).toBeGreaterThan(120);
    expect(bytes(out, 0)[0]).toBeLessThan(135);
  });
});

describe("finiteRange", () => {
  it("ignores NaN and defaults to [0, 1]", () => {
    expect(finiteRange([3, NaN, -2, 7])).toEqual([-2, 7]);
    expect(finiteRange([NaN])).toEqual([0, 1]);
    expect(finiteRange([])).toEqual([0, 1]);
  });
});


describe("poolExtreme", () => {
  it("keeps each block's largest cell, ignoring NaN", () => {
    const v = [0, 0, 0, 1, 0, NaN, 0, 0, 0, 0, 0, 0, NaN, NaN, 0, 5];
    const p = poolExtreme(v, 4, 4, 2, false);
    expect([p.rows, p.cols]).toEqual([2, 2]);
    expect(Array.from(p.values)).toEqual([0, 1, 0, 5]);
  });
  it("keeps the sign of the largest magnitude, and ragged edges", () => {
    const p = poolExtreme([1, -3, 2], 1, 3, 2, true);
    expect(Array.from(p.values)).toEqual([-3, 2]);
  });
});
