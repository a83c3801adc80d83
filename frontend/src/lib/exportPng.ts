/**
 * PNG export of charts as figures for a slide: an opaque background (the current theme's, or white by
 * choice), a title (run, tag, step), the chart, and its legend. Charts that can redraw themselves for
 * the chosen background (`LineChart`, `Heatmap` with its colour bar) pass a `render` function; a bare
 * canvas is put on the background as it is.
 */
import { cssVar } from "./theme";

export type ExportBackground = "theme" | "white";

/** Device pixels per CSS pixel of exported figures (charts redraw at this scale for export). */
export const EXPORT_SCALE = 2;

/** The colours a figure is drawn in. */
export interface FigureColors {
  bg: string;
  fg: string;
  muted: string;
  grid: string;
}

const WHITE: FigureColors = { bg: "#ffffff", fg: "#202124", muted: "#5f6368", grid: "rgba(0,0,0,0.08)" };

/** The figure colours for a background: the theme's CSS variables, or black on white. */
export function figureColors(background: ExportBackground): FigureColors {
  if (background === "white") return WHITE;
  return {
    bg: cssVar("--tbs-bg", WHITE.bg),
    fg: cssVar("--tbs-fg", WHITE.fg),
    muted: cssVar("--tbs-muted", WHITE.muted),
    grid: cssVar("--tbs-grid", WHITE.grid),
  };
}

/** One legend entry of a figure: a swatch (a dashed line when `dash` is set), the label, a note. */
export interface LegendItem {
  label: string;
  color: string;
  dash?: number[];
  note?: string;
}

export interface FigureSpec {
  title: string;
  /** The chart, drawn at `scale` device pixels per CSS pixel. */
  chart: HTMLCanvasElement;
  scale?: number;
  legend?: readonly LegendItem[];
  colors: FigureColors;
}

const PAD = 12;
const TITLE_FONT = "600 14px Roboto, Helvetica, Arial, sans-serif";
const LEGEND_FONT = "12px Roboto, Helvetica, Arial, sans-serif";
const LEGEND_ROW = 18;
const SWATCH_W = 22;

/** CSS-pixel width of a canvas: its style width when set, else its pixel width over `scale`. */
function cssWidth(canvas: HTMLCanvasElement, scale: number): number {
  return parseFloat(canvas.style.width) || canvas.width / scale;
}

/** Lays legend items out in rows no wider than `width`; returns each item's position and the height. */
export function layoutLegend(
  items: readonly LegendItem[],
  width: number,
  measure: (text: string) => number,
): { positions: { x: number; y: number }[]; height: number } {
  const positions: { x: number; y: number }[] = [];
  let x = 0;
  let y = 0;
  for (const item of items) {
    const w = SWATCH_W + 4 + measure(item.note ? `${item.label} ${item.note}` : item.label) + 16;
    if (x > 0 && x + w > width) {
      x = 0;
      y += LEGEND_ROW;
    }
    positions.push({ x, y });
    x += w;
  }
  return { positions, height: items.length ? y + LEGEND_ROW : 0 };
}

/** A legend swatch: a short line in the item's colour and dash. */
export function drawSwatch(ctx: CanvasRenderingContext2D, item: LegendItem, x: number, y: number): void {
  ctx.save();
  ctx.strokeStyle = item.color;
  ctx.lineWidth = 3;
  ctx.setLineDash(item.dash ?? []);
  ctx.beginPath();
  ctx.moveTo(x, y);
  ctx.lineTo(x + SWATCH_W, y);
  ctx.stroke();
  ctx.restore();
}

/** The figure: background, title, chart, legend. */
export function composeFigure(spec: FigureSpec): HTMLCanvasElement {
  const scale = spec.scale ?? EXPORT_SCALE;
  const chartW = cssWidth(spec.chart, scale);
  const chartH = parseFloat(spec.chart.style.height) || spec.chart.height / scale;
  const out = document.createElement("canvas");
  const probe = out.getContext("2d")!;
  probe.font = LEGEND_FONT;
  const width = Math.ceil(Math.max(chartW, 320) + 2 * PAD);
  const legend = layoutLegend(spec.legend ?? [], width - 2 * PAD, (t) => probe.measureText(t).width);
  const titleH = spec.title ? 24 : 0;
  const height = Math.ceil(PAD + titleH + chartH + (legend.height ? 8 + legend.height : 0) + PAD);
  out.width = Math.round(width * scale);
  out.height = Math.round(height * scale);
  const ctx = out.getContext("2d")!;
  ctx.setTransform(scale, 0, 0, scale, 0, 0);
  ctx.fillStyle = spec.colors.bg;
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = spec.colors.fg;
  ctx.font = TITLE_FONT;
  ctx.textBaseline = "top";
  if (spec.title) ctx.fillText(spec.title, PAD, PAD, width - 2 * PAD);
  const top = PAD + titleH;
  ctx.drawImage(spec.chart, PAD, top, chartW, chartH);
  ctx.font = LEGEND_FONT;
  ctx.textBaseline = "middle";
  const legendTop = top + chartH + 8;
  (spec.legend ?? []).forEach((item, i) => {
    const p = legend.positions[i];
    const y = legendTop + p.y + LEGEND_ROW / 2;
    drawSwatch(ctx, item, PAD + p.x, y);
    ctx.fillStyle = spec.colors.fg;
    const x = PAD + p.x + SWATCH_W + 4;
    ctx.fillText(item.label, x, y);
    if (item.note) {
      ctx.fillStyle = spec.colors.muted;
      ctx.fillText(item.note, x + ctx.measureText(`${item.label} `).width, y);
    }
  });
  return out;
}

/** A bare canvas on an opaque background of `colors.bg` (for charts that cannot redraw themselves). */
export function onBackground(canvas: HTMLCanvasElement, colors: FigureColors): HTMLCanvasElement {
  const out = document.createElement("canvas");
  out.width = canvas.width;
  out.height = canvas.height;
  out.style.width = canvas.style.width;
  out.style.height = canvas.style.height;
  const ctx = out.getContext("2d")!;
  ctx.fillStyle = colors.bg;
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.drawImage(canvas, 0, 0);
  return out;
}

export function canvasToPngBlob(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("canvas export failed"))), "image/png"),
  );
}

export function downloadBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

export async function downloadCanvasPng(canvas: HTMLCanvasElement, filename: string): Promise<void> {
  downloadBlob(await canvasToPngBlob(canvas), filename.endsWith(".png") ? filename : `${filename}.png`);
}

/** A file name from free text (tags and run names may hold slashes and spaces). */
export function safeFilename(...parts: string[]): string {
  return parts.join("_").replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "") || "chart";
}
