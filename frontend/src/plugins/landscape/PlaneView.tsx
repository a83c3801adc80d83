/**
 * One 2D slice on canvas: a heatmap (one pixel per grid cell, smoothed) or filled contours (d3-contour
 * bands drawn as canvas paths), a colour bar, the centre marker (the model's point), the projected
 * training trajectory, and the loss under the cursor.
 */
import { contours } from "d3-contour";
import { useLayoutEffect, useRef, useState, type MouseEvent } from "react";
import { colormapLut, cssColor, lutIndex, type ColormapName } from "../../lib/colormaps";
import { ExportPngButton } from "../../lib/ExportPngButton";
import { EXPORT_SCALE, figureColors, safeFilename, type FigureColors } from "../../lib/exportPng";
import { formatMs, formatValue } from "../../lib/format";
import { colorBarWidth, drawColorBar } from "../../lib/heatmapPaint";
import { Swatch } from "../../lib/pickers";
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
  /** Colour scale limits in loss units (a scale shared by planes side by side); default this plane's range. */
  domain?: [number, number];
  /** The training step of each trajectory checkpoint, when known. */
  trajectorySteps?: ArrayLike<number>;
  /** Title of the exported figure (default `title`). */
  exportTitle?: string;
}

const MARGIN = { left: 40, top: 8, bottom: 30 };

/** The scale of a plane: drawn values and their limits (log10 when `log`), and the log shift. */
function planeScale(losses: ArrayLike<number>, log: boolean, domain: [number, number] | undefined) {
  const values = scaled(losses, log);
  const shift = log ? logShift(domain ? [domain[0], ...Array.from(losses)] : losses) : 0;
  const [lo, hi] = domain ? (log ? [Math.log10(domain[0] + shift), Math.log10(domain[1] + shift)] : domain) : range(values);
  return { values: log && domain ? Float64Array.from(losses, (v) => Math.log10(v + shift)) : values, lo, hi, shift };
}

/** The trajectory's checkpoints as plane coordinates. */
function trajectoryPoints(trajectory: ArrayLike<number> | undefined): [number, number][] {
  const out: [number, number][] = [];
  if (trajectory) for (let k = 0; k + 1 < trajectory.length; k += 2) out.push([trajectory[k], trajectory[k + 1]]);
  return out;
}

/** Draws the plane, its trajectory, centre marker, ticks and colour bar onto `el`, sized; returns the plot geometry. */
function drawPlane(el: HTMLCanvasElement, props: PlaneViewProps, colors: FigureColors, dpr: number, dark: boolean) {
  const { xs, ys, losses, mode, colormap, levels, log } = props;
  const size = props.size ?? 340;
  const nx = xs.length;
  const ny = ys.length;
  const ctx = el.getContext("2d")!;
  const { values, lo, hi, shift } = planeScale(losses, log, props.domain);
  const bar = { title: log ? "loss (log scale)" : "loss", format: (v: number) => formatValue(unscaled(v, log, shift)) };
  ctx.font = "11px sans-serif";
  const barW = colorBarWidth(ctx, bar, lo, hi);
  const cssW = MARGIN.left + size + barW + 4;
  const cssH = MARGIN.top + size + MARGIN.bottom;
  el.width = Math.round(cssW * dpr);
  el.height = Math.round(cssH * dpr);
  el.style.width = `${cssW}px`;
  el.style.height = `${cssH}px`;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = colors.bg;
  ctx.fillRect(0, 0, cssW, cssH);
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

  // trajectory (outlined, so it reads on any colour), then the centre marker on top
  const toPx = (x: number, y: number): [number, number] => [px(gridPos(xs, x)), py(gridPos(ys, y))];
  const points = trajectoryPoints(props.trajectory).map(([x, y]) => toPx(x, y));
  if (points.length >= 1) {
    ctx.lineJoin = "round";
    for (const [width, color] of [[5, "rgba(0,0,0,0.75)"], [2.5, "#ffffff"]] as const) {
      ctx.strokeStyle = color;
      ctx.lineWidth = width;
      ctx.beginPath();
      points.forEach(([x, y], k) => (k === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
      ctx.stroke();
    }
    points.forEach(([x, y], k) => {
      ctx.beginPath();
      ctx.arc(x, y, k === points.length - 1 ? 5 : 3.5, 0, 2 * Math.PI);
      ctx.fillStyle = k === 0 ? "#ffeb3b" : "#ff5252";
      ctx.fill();
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = "#000";
      ctx.stroke();
    });
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
  ctx.fillStyle = colors.fg;
  ctx.font = "11px sans-serif";
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const j of [0, Math.floor((nx - 1) / 2), nx - 1]) ctx.fillText(formatValue(xs[j], 2), px(j + 0.5), MARGIN.top + size + 4);
  ctx.fillText("d1", MARGIN.left + size / 2, MARGIN.top + size + 16);
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const i of [0, Math.floor((ny - 1) / 2), ny - 1]) ctx.fillText(formatValue(ys[i], 2), MARGIN.left - 4, py(i + 0.5));
  drawColorBar(ctx, { x: MARGIN.left + size - 8, top: MARGIN.top, height: size, colormap, lo, hi, spec: bar, colors });
  return { px, py, size, points };
}

export function PlaneView(props: PlaneViewProps) {
  const { xs, ys, losses, mode, colormap, levels, log } = props;
  const size = props.size ?? 340;
  const canvas = useRef<HTMLCanvasElement | null>(null);
  const points = useRef<[number, number][]>([]);
  const [hover, setHover] = useState<{ x: number; y: number; text: string } | null>(null);
  const dark = useDarkMode();
  const nx = xs.length;
  const ny = ys.length;
  const [d0, d1] = props.domain ?? [NaN, NaN];

  useLayoutEffect(() => {
    const el = canvas.current;
    if (!el || nx === 0 || ny === 0) return;
    const t0 = performance.now();
    points.current = drawPlane(el, props, figureColors("theme"), window.devicePixelRatio || 1, dark).points;
    el.dataset.drawMs = formatMs(performance.now() - t0);
    el.dataset.mode = mode;
    el.dataset.scale = JSON.stringify(planeScaleLimits(props));
    el.dataset.levels = String(levels);
    // Checkpoint positions in CSS pixels (for tests to hover them).
    el.dataset.points = JSON.stringify(points.current);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- drawPlane reads props; the fields it draws are listed
  }, [xs, ys, losses, props.trajectory, mode, colormap, levels, log, size, dark, nx, ny, d0, d1]);

  const renderFor = (colors: FigureColors): HTMLCanvasElement | null => {
    if (nx === 0 || ny === 0) return null;
    const out = document.createElement("canvas");
    drawPlane(out, props, colors, EXPORT_SCALE, colors === figureColors("white") ? false : dark);
    return out;
  };

  const onMove = (e: MouseEvent<HTMLCanvasElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const y = e.clientY - rect.top;
    const gx = (x - MARGIN.left) / (size / nx);
    const gy = (MARGIN.top + size - y) / (size / ny);
    if (gx < 0 || gy < 0 || gx > nx || gy > ny) return setHover(null);
    const j = nearestCell(gx, nx);
    const i = nearestCell(gy, ny);
    let text = `d1 ${formatValue(xs[j])}, d2 ${formatValue(ys[i])}\nloss ${formatValue(losses[i * nx + j], 4)}`;
    const near = nearestPoint(points.current, x, y, 8);
    if (near >= 0) {
      const steps = props.trajectorySteps;
      const K = points.current.length;
      text += `\ncheckpoint ${near + 1} of ${K}${steps && steps[near] !== undefined ? `: step ${steps[near]}` : near === K - 1 ? " (latest)" : ""}`;
    }
    setHover({ x, y, text });
  };

  return (
    <div className="tbs-panel" data-testid="plane-view">
      <div className="tbs-row" style={{ justifyContent: "space-between" }}>
        <h3 style={{ margin: 0 }}>
          <Swatch color={props.color} style={{ marginRight: 6 }} />
          {props.title}
        </h3>
        <ExportPngButton render={renderFor} title={props.exportTitle ?? props.title} filename={safeFilename(props.title, "plane")} />
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

/** The loss range a plane's colours span (for tests: planes sharing a scale report the same). */
function planeScaleLimits(props: PlaneViewProps): [number, number] {
  const { lo, hi, shift } = planeScale(props.losses, props.log, props.domain);
  return [unscaled(lo, props.log, shift), unscaled(hi, props.log, shift)];
}

/** Index of the point within `radius` px of (x, y) nearest to it, or -1. */
function nearestPoint(points: readonly [number, number][], x: number, y: number, radius: number): number {
  let best = -1;
  let bestD = radius;
  points.forEach(([px, py], k) => {
    const d = Math.hypot(px - x, py - y);
    if (d <= bestD) [best, bestD] = [k, d];
  });
  return best;
}
