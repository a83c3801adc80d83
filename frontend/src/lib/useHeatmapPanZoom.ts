/** Zoom (wheel, double-click resets) and pan (drag) of a canvas heatmap, a jump to a `focus` cell,
 * the hovered cell, and clicks that are not the end of a drag. */
import { useEffect, useRef, useState, type MouseEvent, type RefObject, type WheelEvent } from "react";
import { FULL_VIEW, cellAt, clampView, zoomAt, type HeatmapLayout, type HeatmapView } from "./heatmapMath";

/** Zoom stops when about this many cells are visible. */
const MIN_VISIBLE_CELLS = 4;
/** Mouse travel (px) that turns a press into a pan instead of a click. */
const DRAG_THRESHOLD = 4;
/** Cells across the view after a jump to a cell (`focus`). */
const FOCUS_CELLS = 24;

export interface Hover {
  row: number;
  col: number;
  x: number;
  y: number;
}

export function usePanZoom(
  canvas: RefObject<HTMLCanvasElement | null>,
  layout: HeatmapLayout | null,
  rows: number,
  cols: number,
  focus: { row: number; col: number; key: number } | null | undefined,
  onCellClick: ((row: number, col: number) => void) | undefined,
) {
  const [hover, setHover] = useState<Hover | null>(null);
  const [view, setView] = useState<HeatmapView>(FULL_VIEW);
  const drag = useRef<{ x: number; y: number; view: HeatmapView; moved: boolean } | null>(null);

  useEffect(() => setView(FULL_VIEW), [rows, cols]);

  useEffect(() => {
    if (!focus || focus.row >= rows || focus.col >= cols) return;
    const zoom = Math.max(1, Math.max(rows, cols) / FOCUS_CELLS);
    setView(clampView({ zoom, row0: focus.row + 0.5 - rows / zoom / 2, col0: focus.col + 0.5 - cols / zoom / 2 }, rows, cols));
    // eslint-disable-next-line react-hooks/exhaustive-deps -- focus.key says when to apply it; rows/cols changes reset the view above first
  }, [focus?.key, rows, cols]);

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
    if (!layout || !onCellClick || drag.current?.moved) return;
    const p = point(e);
    const hit = cellAt(layout, p.x, p.y);
    if (hit) onCellClick(hit.row, hit.col);
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
  }, [canvas]);

  const handlers = {
    onMouseMove: onMove,
    onMouseDown: onDown,
    onClick,
    onMouseLeave: () => setHover(null),
    onWheel,
    onDoubleClick: () => setView(FULL_VIEW),
  };
  return { view, setView, hover, handlers };
}
