/**
 * Canvas heatmap: one ImageData pixel per cell on an offscreen canvas, scaled onto the visible one
 * without smoothing, so a 1000x1000 grid costs one pass over the values. Zoom (wheel) and pan (drag)
 * only re-scale that offscreen canvas. Labels thin out to stay legible; hover and selection are
 * overlay boxes, so moving the mouse never redraws.
 */
import { useCallback, useEffect, useLayoutEffect, useRef, useState, type MouseEvent, type WheelEvent } from "react";
import { colormapLut, lutIndex, textColorOn, type ColormapName } from "./colormaps";
import { formatMs, formatValue } from "./format";
import {
  FULL_VIEW,
  cellAt,
  clampView,
  fillCellPixels,
  finiteRange,
  packLut,
  packRgba,
  thinLabels,
  zoomAt,
  type HeatmapLayout,
  type HeatmapView,
} from "./heatmapMath";
import { cssVar } from "./theme";
import { useDarkMode } from "./useDarkMode";

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
}

const FONT = "11px sans-serif";
const LABEL_GAP = 14;
const MAX_LABEL_PX = 150;
const CELL_TEXT_MIN_W = 30;
const CELL_TEXT_MIN_H = 15;
/** Zoom stops when about this many cells are visible. */
const MIN_VISIBLE_CELLS = 4;
/** Mouse travel (px) that turns a press into a pan instead of a click. */
const DRAG_THRESHOLD = 4;

function truncate(ctx: CanvasRenderingContext2D, text: string, maxWidth: number): string {
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

export function Heatmap(props: HeatmapProps) {
  const { rows, cols, values, rowLabels, colLabels, colormap = "viridis", onDrawn, canvasRef } = props;
  const wrapRef = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement | null>(null);
  // One pixel per cell, scaled onto `canvas`; refilled only when the values or colours change.
  const offscreen = useRef<HTMLCanvasElement | null>(null);
  const [width, setWidth] = useState(0);
  const [layout, setLayout] = useState<HeatmapLayout | null>(null);
  const [hover, setHover] = useState<{ row: number; col: number; x: number; y: number } | null>(null);
  const [view, setView] = useState<HeatmapView>(FULL_VIEW);
  const drag = useRef<{ x: number; y: number; view: HeatmapView; moved: boolean } | null>(null);
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

  useEffect(() => setView(FULL_VIEW), [rows, cols]);

  const setCanvas = useCallback(
    (el: HTMLCanvasElement | null) => {
      canvas.current = el;
      canvasRef?.(el);
    },
    [canvasRef],
  );

  const [lo, hi] = props.domain ?? finiteRange(values);

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
    const nan = dark ? packRgba(60, 60, 60, 255) : packRgba(220, 220, 220, 255);
    fillCellPixels(values, packLut(colormapLut(colormap)), lo, hi, new Uint32Array(image.data.buffer), nan);
    ctx.putImageData(image, 0, 0);
    fillMs.current = performance.now() - t0;
  }, [values, rows, cols, colormap, lo, hi, dark]);

  useLayoutEffect(() => {
    const el = canvas.current;
    const cells = offscreen.current;
    if (!el || !cells || width === 0 || rows === 0 || cols === 0) return;
    const t0 = performance.now();
    const ctx = el.getContext("2d")!;
    const dpr = window.devicePixelRatio || 1;
    const fg = cssVar("--tbs-fg", dark ? "#e8eaed" : "#202124");
    const muted = cssVar("--tbs-muted", "#5f6368");
    const bg = cssVar("--tbs-bg", dark ? "#202124" : "#ffffff");
    const maxSize = props.maxSize ?? 720;
    const spanR = rows / view.zoom;
    const spanC = cols / view.zoom;
    ctx.font = FONT;

    // Margins from a first guess of the cell size (labels are thinned by that size).
    const guessCell = Math.max(50, Math.min(maxSize, width - 200)) / Math.max(spanR, spanC);
    const rowGuess = thinLabels(view.row0, view.row0 + spanR, guessCell, LABEL_GAP);
    const colGuess = thinLabels(view.col0, view.col0 + spanC, guessCell, LABEL_GAP);
    const left = labelWidth(ctx, rowLabels, rowGuess) + (props.rowTitle ? LABEL_GAP + 4 : 0);
    const bottom = labelWidth(ctx, colLabels, colGuess) + (props.colTitle ? LABEL_GAP + 4 : 0);
    const top = 8;
    const side = Math.max(50, Math.min(maxSize, width - left - 12));
    const cell = side / Math.max(spanR, spanC);
    const plotW = cell * spanC;
    const plotH = cell * spanR;
    const cssW = Math.ceil(left + plotW + 12);
    const cssH = Math.ceil(top + plotH + bottom);
    el.width = Math.round(cssW * dpr);
    el.height = Math.round(cssH * dpr);
    el.style.width = `${cssW}px`;
    el.style.height = `${cssH}px`;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = bg;
    ctx.fillRect(0, 0, cssW, cssH);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(cells, view.col0, view.row0, spanC, spanR, left, top, plotW, plotH);

    const r0 = Math.floor(view.row0);
    const c0 = Math.floor(view.col0);
    const r1 = Math.min(rows, Math.ceil(view.row0 + spanR));
    const c1 = Math.min(cols, Math.ceil(view.col0 + spanC));
    const x = (c: number) => left + (c - view.col0) * cell;
    const y = (r: number) => top + (r - view.row0) * cell;
    ctx.font = FONT;
    if (cell >= CELL_TEXT_MIN_W && cell >= CELL_TEXT_MIN_H) {
      const lut = colormapLut(colormap);
      const format = props.formatCell ?? formatValue;
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
          ctx.fillStyle = k < 0 ? fg : textColorOn(lut, k);
          ctx.fillText(truncate(ctx, format(v), cell - 4), x(c + 0.5), y(r + 0.5));
        }
      }
      ctx.restore();
    }

    ctx.fillStyle = fg;
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
    ctx.fillStyle = muted;
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    if (props.colTitle) ctx.fillText(props.colTitle, left + plotW / 2, cssH - LABEL_GAP);
    if (props.rowTitle) {
      ctx.save();
      ctx.translate(2, top + plotH / 2);
      ctx.rotate(-Math.PI / 2);
      ctx.fillText(props.rowTitle, 0, 0);
      ctx.restore();
    }
    const next: HeatmapLayout = { left, top, cellW: cell, cellH: cell, rows, cols, row0: view.row0, col0: view.col0, plotW, plotH };
    setLayout(next);
    // Geometry for tests and benchmarks (to hover a given cell).
    el.dataset.layout = JSON.stringify(next);
    const drawMs = fillMs.current + performance.now() - t0;
    fillMs.current = 0;
    el.dataset.drawMs = formatMs(drawMs);
    onDrawn?.(drawMs);
    // Titles and formatCell come with the data they describe.
  }, [values, rows, cols, rowLabels, colLabels, colormap, lo, hi, width, dark, view, props.maxSize]);

  const point = (e: MouseEvent<HTMLCanvasElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    return { x: e.clientX - rect.left, y: e.clientY - rect.top };
  };

  const onMove = (e: MouseEvent<HTMLCanvasElement>) => {
    if (!layout || drag.current?.moved) return;
    const p = point(e);
    const hit = cellAt(layout, p.x, p.y);
    setHover(hit ? { ...hit, ...p } : null);
  };

  // A press pans (when zoomed) once it moves; otherwise it is a click. Window listeners keep the
  // drag going outside the canvas.
  /** Removes the window listeners of a drag in progress (called on mouseup and on unmount). */
  const endDrag = useRef<(() => void) | null>(null);
  useEffect(() => () => endDrag.current?.(), []);
  const onDown = (e: MouseEvent<HTMLCanvasElement>) => {
    if (!layout || e.button !== 0) return;
    endDrag.current?.();
    const start = { x: e.clientX, y: e.clientY, view, moved: false };
    const from = layout;
    drag.current = start;
    const move = (ev: globalThis.MouseEvent) => {
      const dx = ev.clientX - start.x;
      const dy = ev.clientY - start.y;
      if (!start.moved && Math.hypot(dx, dy) <= DRAG_THRESHOLD) return;
      start.moved = true;
      if (start.view.zoom === 1) return;
      setHover(null);
      setView(clampView({ zoom: start.view.zoom, row0: start.view.row0 - dy / from.cellH, col0: start.view.col0 - dx / from.cellW }, rows, cols));
    };
    const remove = () => {
      window.removeEventListener("mousemove", move);
      window.removeEventListener("mouseup", up);
      endDrag.current = null;
    };
    const up = () => {
      remove();
      // The click handler runs after mouseup and reads `moved`.
      setTimeout(() => (drag.current = null), 0);
    };
    window.addEventListener("mousemove", move);
    window.addEventListener("mouseup", up);
    endDrag.current = remove;
  };

  const onClick = (e: MouseEvent<HTMLCanvasElement>) => {
    if (!layout || !props.onCellClick || drag.current?.moved) return;
    const p = point(e);
    const hit = cellAt(layout, p.x, p.y);
    if (hit) props.onCellClick(hit.row, hit.col);
  };

  const onWheel = (e: WheelEvent<HTMLCanvasElement>) => {
    if (!layout) return;
    const rect = e.currentTarget.getBoundingClientRect();
    const dx = e.clientX - rect.left - layout.left;
    const dy = e.clientY - rect.top - layout.top;
    if (dx < 0 || dy < 0 || dx > layout.plotW || dy > layout.plotH) return;
    const maxZoom = Math.max(rows, cols) / MIN_VISIBLE_CELLS;
    const factor = Math.exp(-e.deltaY * 0.002);
    setView((v) => zoomAt(v, rows, cols, v.row0 + dy / layout.cellH, v.col0 + dx / layout.cellW, factor, maxZoom));
  };

  // React attaches wheel listeners as passive; a native one can stop the page from scrolling.
  useEffect(() => {
    const el = canvas.current;
    if (!el) return;
    const stop = (e: globalThis.WheelEvent) => e.preventDefault();
    el.addEventListener("wheel", stop, { passive: false });
    return () => el.removeEventListener("wheel", stop);
  }, []);

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
    <div className="tbs-heatmap" ref={wrapRef}>
      <canvas
        ref={setCanvas}
        data-testid="heatmap-canvas"
        style={{ cursor: props.onCellClick ? "pointer" : "crosshair" }}
        onMouseMove={onMove}
        onMouseDown={onDown}
        onClick={onClick}
        onMouseLeave={() => setHover(null)}
        onWheel={onWheel}
        onDoubleClick={() => setView(FULL_VIEW)}
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
            `value: ${formatValue(values[hover.row * cols + hover.col])}`,
            ...(props.tooltipExtra?.(hover.row, hover.col) ?? []),
          ].join("\n")}
        </div>
      )}
    </div>
  );
}
