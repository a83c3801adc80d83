/**
 * Canvas heatmap: one ImageData pixel per cell on an offscreen canvas, scaled onto the visible one
 * without smoothing, so a 1000x1000 grid costs one pass over the values. Zoom (wheel) and pan (drag),
 * in ./useHeatmapPanZoom, only re-scale that offscreen canvas; drawing is in ./heatmapPaint. Labels thin out to stay legible; hover and selection are
 * overlay boxes, so moving the mouse never redraws. A colour bar explains the scale; with an
 * `exportTitle` the heatmap exports itself as a PNG figure (title, grid, colour bar, caption).
 */
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";
import { colormapLut, type ColormapName } from "./colormaps";
import { ExportPngButton } from "./ExportPngButton";
import { EXPORT_SCALE, figureColors, safeFilename, type FigureColors } from "./exportPng";
import { formatMs, formatValue } from "./format";
import { FULL_VIEW, fillCellPixels, finiteRange, packLut, packRgba, poolExtreme, type HeatmapLayout } from "./heatmapMath";
import { paintHeatmap, type ColorBarSpec, type HeatmapPaint } from "./heatmapPaint";
import { useDarkMode } from "./useDarkMode";
import { usePanZoom } from "./useHeatmapPanZoom";

export interface HeatmapProps {
  rows: number;
  cols: number;
  /** Row-major values, length rows * cols. */
  values: ArrayLike<number>;
  rowLabels: readonly string[];
  colLabels: readonly string[];
  rowTitle?: string;
  colTitle?: string;
  colormap?: ColormapName;
  /** Colour scale limits; defaults to the finite min and max. */
  domain?: [number, number];
  formatCell?: (value: number) => string;
  /** Extra tooltip lines for a cell. */
  tooltipExtra?: (row: number, col: number) => string[];
  onCellClick?: (row: number, col: number) => void;
  selected?: { row: number; col: number } | null;
  /** Largest side of the grid in CSS pixels. */
  maxSize?: number;
  /** Called after each draw with the time the draw took (ms). */
  onDrawn?: (drawMs: number) => void;
  canvasRef?: (canvas: HTMLCanvasElement | null) => void;
  /** Zooms in on this cell (about 24 cells across); a new `key` applies it again. */
  focus?: { row: number; col: number; key: number } | null;
  /** The colour bar right of the grid (default: titled "value"); null for none. */
  colorBar?: ColorBarSpec | null;
  /** A line under the grid, e.g. what a diverging scale's signs mean. */
  caption?: string;
  /** With a title (run, tag, step), the heatmap has its own PNG export button (`exportTestId`). */
  exportTitle?: string;
  exportFilename?: string;
  exportTestId?: string;
}

const DEFAULT_COLOR_BAR: ColorBarSpec = { title: "value" };
export function Heatmap(props: HeatmapProps) {
  const { rows, cols, values, rowLabels, colLabels, colormap = "viridis", onDrawn, canvasRef } = props;
  const wrapRef = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement | null>(null);
  // One pixel per cell, scaled onto `canvas`; refilled only when the values or colours change.
  const offscreen = useRef<HTMLCanvasElement | null>(null);
  const [width, setWidth] = useState(0);
  const [layout, setLayout] = useState<HeatmapLayout | null>(null);
  const { view, setView, hover, handlers } = usePanZoom(canvas, layout, rows, cols, props.focus, props.onCellClick);
  const fillMs = useRef(0);
  const dark = useDarkMode();

  useEffect(() => {
    const el = wrapRef.current?.parentElement;
    if (!el) return;
    const observer = new ResizeObserver(() => setWidth(el.clientWidth));
    observer.observe(el);
    setWidth(el.clientWidth);
    return () => observer.disconnect();
  }, []);

  const setCanvas = useCallback(
    (el: HTMLCanvasElement | null) => {
      canvas.current = el;
      canvasRef?.(el);
    },
    [canvasRef],
  );

  const [lo, hi] = props.domain ?? finiteRange(values);
  const nanPixel = dark ? packRgba(60, 60, 60, 255) : packRgba(220, 220, 220, 255);

  useLayoutEffect(() => {
    if (rows === 0 || cols === 0) return;
    const t0 = performance.now();
    const cells = (offscreen.current ??= document.createElement("canvas"));
    if (cells.width !== cols || cells.height !== rows) {
      cells.width = cols;
      cells.height = rows;
    }
    const ctx = cells.getContext("2d")!;
    const image = ctx.createImageData(cols, rows);
    fillCellPixels(values, packLut(colormapLut(colormap)), lo, hi, new Uint32Array(image.data.buffer), nanPixel);
    pools.current = new Map();
    ctx.putImageData(image, 0, 0);
    fillMs.current = performance.now() - t0;
  }, [values, rows, cols, colormap, lo, hi, nanPixel]);

  const colorBar = props.colorBar === undefined ? DEFAULT_COLOR_BAR : props.colorBar;
  // Pooled grids by factor, for cells smaller than a device pixel; refilled with the cells.
  const pools = useRef(new Map<number, HTMLCanvasElement>());
  const pooled = (factor: number): HTMLCanvasElement => {
    const hit = pools.current.get(factor);
    if (hit) return hit;
    const pool = poolExtreme(values, rows, cols, factor, lo < 0);
    const canvas = document.createElement("canvas");
    canvas.width = pool.cols;
    canvas.height = pool.rows;
    const ctx = canvas.getContext("2d")!;
    const image = ctx.createImageData(pool.cols, pool.rows);
    fillCellPixels(pool.values, packLut(colormapLut(colormap)), lo, hi, new Uint32Array(image.data.buffer), nanPixel);
    ctx.putImageData(image, 0, 0);
    pools.current.set(factor, canvas);
    return canvas;
  };
  const paintParams = (colors: FigureColors, dpr: number): HeatmapPaint => ({
    pooled,
    rows,
    cols,
    values,
    rowLabels,
    colLabels,
    rowTitle: props.rowTitle,
    colTitle: props.colTitle,
    colormap,
    lo,
    hi,
    width,
    maxSize: props.maxSize ?? 720,
    view,
    formatCell: props.formatCell ?? formatValue,
    colorBar,
    caption: props.caption,
    colors,
    dpr,
  });

  useLayoutEffect(() => {
    const el = canvas.current;
    const cells = offscreen.current;
    if (!el || !cells || width === 0 || rows === 0 || cols === 0) return;
    const t0 = performance.now();
    const next = paintHeatmap(el, cells, paintParams(figureColors("theme"), window.devicePixelRatio || 1));
    setLayout(next);
    // Geometry for tests and benchmarks (to hover a given cell).
    el.dataset.layout = JSON.stringify(next);
    el.dataset.colorBar = JSON.stringify(colorBar && { ...colorBar, lo, hi, caption: props.caption ?? null });
    const drawMs = fillMs.current + performance.now() - t0;
    fillMs.current = 0;
    el.dataset.drawMs = formatMs(drawMs);
    onDrawn?.(drawMs);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- titles, formatCell, the colour bar and the caption come with the data they describe
  }, [values, rows, cols, rowLabels, colLabels, colormap, lo, hi, width, dark, view, props.maxSize, props.caption]);

  /** The heatmap drawn afresh in `colors` (PNG export on another background), at 2x. */
  const renderFor = (colors: FigureColors): HTMLCanvasElement | null => {
    const cells = offscreen.current;
    if (!cells || width === 0 || rows === 0 || cols === 0) return null;
    const out = document.createElement("canvas");
    paintHeatmap(out, cells, paintParams(colors, EXPORT_SCALE));
    return out;
  };

  const box = (cell: { row: number; col: number }, kind: string) => {
    if (!layout) return null;
    const left = layout.left + (cell.col - layout.col0) * layout.cellW;
    const top = layout.top + (cell.row - layout.row0) * layout.cellH;
    if (left + layout.cellW < layout.left || top + layout.cellH < layout.top) return null;
    if (left > layout.left + layout.plotW || top > layout.top + layout.plotH) return null;
    return (
      <div
        className={`tbs-cell-box ${kind}`}
        style={{ left: left - 1, top: top - 1, width: Math.max(layout.cellW, 3) + 2, height: Math.max(layout.cellH, 3) + 2 }}
      />
    );
  };

  const valid = hover && hover.row < rows && hover.col < cols;
  return (
    <>
    {props.exportTitle !== undefined && (
      <div className="tbs-row tbs-heatmap-tools">
        <ExportPngButton
          render={renderFor}
          title={props.exportTitle}
          filename={props.exportFilename ?? safeFilename(props.exportTitle)}
          testId={props.exportTestId}
        />
      </div>
    )}
    <div className="tbs-heatmap" ref={wrapRef}>
      <canvas
        ref={setCanvas}
        data-testid="heatmap-canvas"
        style={{ cursor: props.onCellClick ? "pointer" : "crosshair" }}
        {...handlers}
      />
      {view.zoom > 1 && (
        <button type="button" className="tbs-zoom-reset" onClick={() => setView(FULL_VIEW)} title="Show the whole matrix (or double-click)">
          reset zoom
        </button>
      )}
      {props.selected && props.selected.row < rows && props.selected.col < cols && box(props.selected, "selected")}
      {valid && box(hover, "hover")}
      {valid && (
        <div
          className="tbs-tooltip"
          data-testid="tooltip"
          style={{
            left: hover.x + 14,
            top: hover.y + 14,
            transform: hover.x > (canvas.current?.clientWidth ?? 0) / 2 ? "translateX(calc(-100% - 28px))" : undefined,
          }}
        >
          {[
            `${props.rowTitle ?? "row"}: ${rowLabels[hover.row] ?? hover.row}`,
            `${props.colTitle ?? "column"}: ${colLabels[hover.col] ?? hover.col}`,
            `value: ${(props.formatCell ?? formatValue)(values[hover.row * cols + hover.col])}`,
            ...(props.tooltipExtra?.(hover.row, hover.col) ?? []),
          ].join("\n")}
        </div>
      )}
    </div>
    </>
  );
}
