/**
 * Bars per layer in model order on a canvas (1,000 layers draw as thin bars), log or linear y axis, one
 * or two series side by side, flagged layers filled in their severity's colour, an optional reference
 * band; hover shows the layer's values, click picks the layer.
 */
import { useEffect, useLayoutEffect, useRef, useState, type MouseEvent } from "react";
import { ExportPngButton } from "../../lib/ExportPngButton";
import { formatValue } from "../../lib/format";
import { cssVar } from "../../lib/theme";
import { useDarkMode } from "../../lib/useDarkMode";
import { anyDrawable, logTicks, positiveExtent, SEVERITY_COLORS } from "./record";

export interface BarSeries {
  label: string;
  color: string;
  values: ArrayLike<number>;
}

export interface BarChartProps {
  labels: readonly string[];
  series: readonly BarSeries[];
  log: boolean;
  yLabel: string;
  /** Severity (1-3) by layer index: those bars are filled in the severity colour. */
  flagged?: Map<number, number>;
  /** A shaded y range (e.g. the healthy update ratios) and a reference line inside it. */
  band?: [number, number];
  reference?: number;
  /** Fixed y range (linear charts), e.g. [0, 1] for fractions. */
  yRange?: [number, number];
  selected?: number | null;
  onSelect?: (index: number) => void;
  height?: number;
  testId: string;
  exportTitle: string;
  exportFilename: string;
}

const LEFT = 58;
const BOTTOM = 54;
const TOP = 8;
const RIGHT = 10;
const FONT = "11px sans-serif";

export function BarChart(props: BarChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [width, setWidth] = useState(0);
  const [hover, setHover] = useState<{ index: number; x: number; y: number } | null>(null);
  const dark = useDarkMode();
  const height = props.height ?? 220;
  const n = props.labels.length;

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setWidth(el.clientWidth));
    observer.observe(el);
    setWidth(el.clientWidth);
    return () => observer.disconnect();
  }, []);

  const extent = props.log ? positiveExtent(props.series.map((s) => s.values), props.band ? [...props.band] : []) : null;
  const [lo, hi] = props.log
    ? extent
      ? [extent[0] / 2, extent[1] * 2]
      : [1e-3, 1]
    : (props.yRange ?? linearRange(props.series));
  const toY = (v: number, plotH: number) => {
    const t = props.log ? (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : (v - lo) / (hi - lo || 1);
    return TOP + plotH * (1 - Math.max(0, Math.min(1, t)));
  };

  useLayoutEffect(() => {
    const el = canvas.current;
    if (!el || width === 0 || n === 0) return;
    const dpr = window.devicePixelRatio || 1;
    el.width = Math.round(width * dpr);
    el.height = Math.round(height * dpr);
    el.style.width = `${width}px`;
    el.style.height = `${height}px`;
    const ctx = el.getContext("2d")!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const fg = cssVar("--tbs-fg", dark ? "#e8eaed" : "#202124");
    const grid = cssVar("--tbs-grid", "rgba(0,0,0,0.08)");
    ctx.fillStyle = cssVar("--tbs-bg", dark ? "#202124" : "#ffffff");
    ctx.fillRect(0, 0, width, height);
    const plotW = width - LEFT - RIGHT;
    const plotH = height - TOP - BOTTOM;
    const slot = plotW / n;
    ctx.font = FONT;
    if (props.band) {
      ctx.fillStyle = dark ? "rgba(129,201,149,0.18)" : "rgba(52,168,83,0.14)";
      const y0 = toY(props.band[1], plotH);
      ctx.fillRect(LEFT, y0, plotW, toY(props.band[0], plotH) - y0);
    }
    // y axis: decades (log) or 5 ticks (linear)
    const ticks = props.log ? logTicks(lo, hi, 7).filter((t) => t >= lo && t <= hi) : Array.from({ length: 5 }, (_, i) => lo + ((hi - lo) * i) / 4);
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const t of ticks) {
      const y = toY(t, plotH);
      ctx.strokeStyle = grid;
      ctx.beginPath();
      ctx.moveTo(LEFT, y);
      ctx.lineTo(LEFT + plotW, y);
      ctx.stroke();
      ctx.fillStyle = fg;
      ctx.fillText(formatValue(t), LEFT - 4, y);
    }
    if (props.reference !== undefined) {
      const y = toY(props.reference, plotH);
      ctx.strokeStyle = dark ? "#81c995" : "#188038";
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(LEFT, y);
      ctx.lineTo(LEFT + plotW, y);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    const base = TOP + plotH;
    const k = props.series.length;
    const barW = Math.max(0.5, (slot * 0.8) / k);
    props.series.forEach((s, j) => {
      for (let i = 0; i < n; i++) {
        const v = s.values[i];
        if (!Number.isFinite(v) || (props.log && v <= 0)) continue;
        const severity = props.flagged?.get(i);
        ctx.fillStyle = severity ? SEVERITY_COLORS[severity] : s.color;
        ctx.globalAlpha = j === 0 || severity ? 1 : 0.55;
        const x = LEFT + i * slot + slot * 0.1 + j * barW;
        const y = toY(v, plotH);
        ctx.fillRect(x, y, barW, base - y);
      }
    });
    ctx.globalAlpha = 1;
    if (props.selected !== null && props.selected !== undefined && props.selected < n) {
      ctx.strokeStyle = cssVar("--tbs-accent", "#f57c00");
      ctx.lineWidth = 2;
      ctx.strokeRect(LEFT + props.selected * slot, TOP, slot, plotH);
      ctx.lineWidth = 1;
    }
    // x labels, thinned to one per 14 px
    const stride = Math.max(1, Math.ceil(14 / slot));
    ctx.fillStyle = fg;
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (let i = 0; i < n; i += stride) {
      ctx.save();
      ctx.translate(LEFT + (i + 0.5) * slot, base + 4);
      ctx.rotate(-Math.PI / 2.5);
      const label = props.labels[i];
      ctx.fillText(label.length > 14 ? `…${label.slice(-13)}` : label, 0, 0);
      ctx.restore();
    }
    ctx.save();
    ctx.translate(10, TOP + plotH / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = "center";
    ctx.fillText(props.yLabel + (props.log ? " (log)" : ""), 0, 0);
    ctx.restore();
    el.dataset.layout = JSON.stringify({ left: LEFT, top: TOP, plotW, plotH, n });
    el.dataset.drawn = String(Number(el.dataset.drawn ?? 0) + 1);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- toY follows lo, hi and log
  }, [props.labels, props.series, props.flagged, props.selected, props.log, props.band, props.reference, props.yLabel, n, width, height, dark, lo, hi]);

  const indexAt = (e: MouseEvent<HTMLCanvasElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const y = e.clientY - rect.top;
    const plotW = width - LEFT - RIGHT;
    const index = Math.floor(((x - LEFT) / plotW) * n);
    return index >= 0 && index < n && y >= TOP && y <= height - BOTTOM ? { index, x, y } : null;
  };

  return (
    <div className="tbs-chart" ref={host} data-testid={props.testId}>
      <canvas
        ref={canvas}
        style={{ cursor: props.onSelect ? "pointer" : "default", display: "block" }}
        onMouseMove={(e) => setHover(indexAt(e))}
        onMouseLeave={() => setHover(null)}
        onClick={(e) => {
          const hit = indexAt(e);
          if (hit) props.onSelect?.(hit.index);
        }}
      />
      {hover && (
        <div className="tbs-tooltip" data-testid="bar-tooltip" style={{ left: hover.x + 12, top: hover.y + 12, transform: hover.x > width / 2 ? "translateX(calc(-100% - 24px))" : undefined }}>
          {[`layer ${hover.index}: ${props.labels[hover.index]}`, ...props.series.map((s) => `${s.label}: ${formatValue(s.values[hover.index])}`)].join("\n")}
        </div>
      )}
      {!anyDrawable(props.series.map((s) => s.values), props.log) && (
        <div className="tbs-muted" data-testid="no-values">no finite values at this step (NaN/Inf, or none recorded)</div>
      )}
      <div className="tbs-row">
        <div className="tbs-legend">
          {props.series.map((s) => (
            <span key={s.label}>
              <span className="tbs-swatch" style={{ background: s.color, opacity: s === props.series[0] ? 1 : 0.55 }} />
              {s.label}
            </span>
          ))}
          {props.flagged && props.flagged.size > 0 && <span className="tbs-muted">flagged layers in red / orange / purple</span>}
        </div>
        <ExportPngButton getCanvas={() => canvas.current} title={props.exportTitle} filename={props.exportFilename} testId={`${props.testId}-png`} />
      </div>
    </div>
  );
}

function linearRange(series: readonly BarSeries[]): [number, number] {
  let hi = 0;
  let lo = 0;
  for (const s of series) for (let i = 0; i < s.values.length; i++) {
      if (!Number.isFinite(s.values[i])) continue;
      hi = Math.max(hi, s.values[i]);
      lo = Math.min(lo, s.values[i]);
    }
  return hi > lo ? [lo, hi] : [0, 1];
}
