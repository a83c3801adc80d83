/**
 * One 2D slice on canvas: a heatmap (one pixel per grid cell, smoothed) or filled contours (d3-contour
 * bands drawn as canvas paths), a colour bar, the centre marker (the model's point), the projected
 * training trajectory, and the loss under the cursor.
 */
import { contours } from "d3-contour";
import { useLayoutEffect, useRef, useState, type MouseEvent } from "react";
import { colormapLut, cssColor, lutIndex, type ColormapName } from "../../lib/colormaps";
import { ExportPngButton } from "../../lib/ExportPngButton";
import { safeFilename } from "../../lib/exportPng";
import { formatMs, formatValue } from "../../lib/format";
import { Swatch } from "../../lib/pickers";
import { cssVar } from "../../lib/theme";
import { useDarkMode } from "../../lib/useDarkMode";
import { gridPos, logShift, nearestCell, range, scaled, thresholds, unscaled } from "./planeMath";

export type PlaneMode = "contour" | "heatmap";

export interface PlaneViewProps {
  title: string;
  color: string;
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
  losses: ArrayLike<number>;
  trajectory?: ArrayLike<number>;
  mode: PlaneMode;
  colormap: ColormapName;
  levels: number;
  log: boolean;
  size?: number;
}

const MARGIN = { left: 40, top: 8, right: 56, bottom: 30 };

export function PlaneView(props: PlaneViewProps) {
  const { xs, ys, losses, mode, colormap, levels, log } = props;
  const size = props.size ?? 340;
  const canvas = useRef<HTMLCanvasElement | null>(null);
  const [hover, setHover] = useState<{ x: number; y: number; text: string } | null>(null);
  const dark = useDarkMode();
  const nx = xs.length;
  const ny = ys.length;

  useLayoutEffect(() => {
    const el = canvas.current;
    const ctx = el?.getContext("2d");
    if (!el || !ctx || nx === 0 || ny === 0) return;
    const t0 = performance.now();
    const dpr = window.devicePixelRatio || 1;
    const cssW = MARGIN.left + size + MARGIN.right;
    const cssH = MARGIN.top + size + MARGIN.bottom;
    el.width = Math.round(cssW * dpr);
    el.height = Math.round(cssH * dpr);
    el.style.width = `${cssW}px`;
    el.style.height = `${cssH}px`;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const fg = cssVar("--tbs-fg", dark ? "#e8eaed" : "#202124");
    ctx.fillStyle = cssVar("--tbs-bg", dark ? "#202124" : "#ffffff");
    ctx.fillRect(0, 0, cssW, cssH);

    const values = scaled(losses, log);
    const [lo, hi] = range(values);
    const shift = log ? logShift(losses) : 0;
    const lut = colormapLut(colormap);
    const sx = size / nx;
    const sy = size / ny;
    // grid coordinates (column, row from the bottom) -> canvas pixels, y up
    const px = (gx: number) => MARGIN.left + gx * sx;
    const py = (gy: number) => MARGIN.top + size - gy * sy;

    if (mode === "heatmap") {
      const cells = document.createElement("canvas");
      cells.width = nx;
      cells.height = ny;
      const cctx = cells.getContext("2d")!;
      const image = cctx.createImageData(nx, ny);
      for (let i = 0; i < ny; i++) {
        for (let j = 0; j < nx; j++) {
          const k = lutIndex(values[i * nx + j], lo, hi);
          const o = ((ny - 1 - i) * nx + j) * 4;
          image.data[o] = lut[k * 3];
          image.data[o + 1] = lut[k * 3 + 1];
          image.data[o + 2] = lut[k * 3 + 2];
          image.data[o + 3] = 255;
        }
      }
      cctx.putImageData(image, 0, 0);
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(cells, MARGIN.left, MARGIN.top, size, size);
    } else {
      const levelsAt = [lo, ...thresholds(lo, hi, levels)];
      const bands = contours().size([nx, ny]).thresholds(levelsAt)(Array.from(values));
      ctx.lineWidth = 0.6;
      ctx.strokeStyle = dark ? "rgba(0,0,0,0.45)" : "rgba(255,255,255,0.55)";
      for (const band of bands) {
        ctx.beginPath();
        for (const polygon of band.coordinates) {
          for (const ring of polygon) {
            ring.forEach(([gx, gy], k) => (k === 0 ? ctx.moveTo(px(gx), py(gy)) : ctx.lineTo(px(gx), py(gy))));
            ctx.closePath();
          }
        }
        ctx.fillStyle = cssColor(lut, lutIndex(band.value, lo, hi));
        ctx.fill("evenodd");
        ctx.stroke();
      }
    }

    // trajectory, then the centre marker on top
    const toPx = (x: number, y: number): [number, number] => [px(gridPos(xs, x)), py(gridPos(ys, y))];
    const trajectory = props.trajectory;
    if (trajectory && trajectory.length >= 2) {
      ctx.strokeStyle = "#ffffff";
      ctx.fillStyle = "#ff5252";
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      for (let k = 0; k < trajectory.length / 2; k++) {
        const [x, y] = toPx(trajectory[2 * k], trajectory[2 * k + 1]);
        if (k === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      }
      ctx.stroke();
      for (let k = 0; k < trajectory.length / 2; k++) {
        const [x, y] = toPx(trajectory[2 * k], trajectory[2 * k + 1]);
        ctx.beginPath();
        ctx.arc(x, y, 2.5, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
    const [cx, cy] = toPx(0, 0);
    ctx.strokeStyle = "#000";
    ctx.fillStyle = "#fff";
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(cx - 7, cy);
    ctx.lineTo(cx + 7, cy);
    ctx.moveTo(cx, cy - 7);
    ctx.lineTo(cx, cy + 7);
    ctx.stroke();

    // axes ticks and colour bar
    ctx.fillStyle = fg;
    ctx.font = "11px sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const j of [0, Math.floor((nx - 1) / 2), nx - 1]) ctx.fillText(formatValue(xs[j], 2), px(j + 0.5), MARGIN.top + size + 4);
    ctx.fillText("d1", MARGIN.left + size / 2, MARGIN.top + size + 16);
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const i of [0, Math.floor((ny - 1) / 2), ny - 1]) ctx.fillText(formatValue(ys[i], 2), MARGIN.left - 4, py(i + 0.5));
    const barX = MARGIN.left + size + 10;
    for (let k = 0; k < size; k++) {
      ctx.fillStyle = cssColor(lut, Math.round(((size - 1 - k) / (size - 1)) * 255));
      ctx.fillRect(barX, MARGIN.top + k, 10, 1);
    }
    ctx.fillStyle = fg;
    ctx.textAlign = "left";
    ctx.textBaseline = "top";
    ctx.fillText(formatValue(unscaled(hi, log, shift)), barX + 12, MARGIN.top);
    ctx.textBaseline = "bottom";
    ctx.fillText(formatValue(unscaled(lo, log, shift)), barX + 12, MARGIN.top + size);
    el.dataset.drawMs = formatMs(performance.now() - t0);
    el.dataset.mode = mode;
  }, [xs, ys, losses, props.trajectory, mode, colormap, levels, log, size, dark, nx, ny]);

  const onMove = (e: MouseEvent<HTMLCanvasElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const y = e.clientY - rect.top;
    const gx = (x - MARGIN.left) / (size / nx);
    const gy = (MARGIN.top + size - y) / (size / ny);
    if (gx < 0 || gy < 0 || gx > nx || gy > ny) return setHover(null);
    const j = nearestCell(gx, nx);
    const i = nearestCell(gy, ny);
    const text = `d1 ${formatValue(xs[j])}, d2 ${formatValue(ys[i])}\nloss ${formatValue(losses[i * nx + j], 4)}`;
    setHover({ x, y, text });
  };

  return (
    <div className="tbs-panel" data-testid="plane-view">
      <div className="tbs-row" style={{ justifyContent: "space-between" }}>
        <h3 style={{ margin: 0 }}>
          <Swatch color={props.color} style={{ marginRight: 6 }} />
          {props.title}
        </h3>
        <ExportPngButton getCanvas={() => canvas.current} filename={safeFilename(props.title, "plane")} />
      </div>
      <div className="tbs-heatmap">
        <canvas ref={canvas} data-testid="plane-canvas" onMouseMove={onMove} onMouseLeave={() => setHover(null)} />
        {hover && (
          <div className="tbs-tooltip" data-testid="tooltip" style={{ left: hover.x + 12, top: hover.y + 12 }}>
            {hover.text}
          </div>
        )}
      </div>
    </div>
  );
}
