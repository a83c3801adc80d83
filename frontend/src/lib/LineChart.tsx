/**
 * Line chart on uPlot for series that do not share x values (ROC / PR curves, per-run lines):
 * uPlot's mode 2 takes one [xs, ys] pair per series. Drag zooms (x and y), double-click resets.
 * The legend and hover readout are ours, so legend entries can carry extra text (AUC, AP) and show
 * each series' dash; the legend lists every series (scrolling when long). Every chart has a PNG
 * export: the chart redrawn on the chosen background, with its title and complete legend.
 */
import { useEffect, useRef, useState } from "react";
import uPlot from "uplot";
import { ExportPngButton } from "./ExportPngButton";
import { figureColors, safeFilename, type FigureColors, type LegendItem } from "./exportPng";
import { formatValue } from "./format";
import { nearestIndex } from "./nearest";
import { useDarkMode } from "./useDarkMode";

export interface LineSeries {
  label: string;
  color: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Extra legend text, e.g. "AUC 0.93". */
  note?: string;
  dash?: number[];
}

export interface LineChartProps {
  series: readonly LineSeries[];
  xLabel: string;
  yLabel: string;
  xRange?: [number, number];
  yRange?: [number, number];
  height?: number;
  testId?: string;
  /** Receives the uPlot instance. */
  onChart?: (chart: uPlot | null) => void;
  /** Title of the exported figure (run, tag, step); default "<y> vs <x>". */
  title?: string;
  /** File name of the export (default from the title). */
  filename?: string;
  /** False hides the PNG export button. */
  exportable?: boolean;
  /** A line above the legend, also in the export (e.g. "micro AUC 0.95 · macro AUC 0.94"). */
  legendSummary?: string;
  /** Series left out of the legend by label (guides such as a chance diagonal still get an entry when listed). */
  hideFromLegend?: (series: LineSeries) => boolean;
}

function buildOptions(props: LineChartProps, width: number, colors: FigureColors): uPlot.Options {
  const fg = colors.fg;
  const grid = colors.grid;
  const axis = (label: string): uPlot.Axis => ({
    label,
    stroke: fg,
    grid: { stroke: grid, width: 1 },
    ticks: { stroke: grid, width: 1 },
  });
  const fixed = (range?: [number, number]): uPlot.Scale => ({
    time: false,
    auto: !range,
    range: range ? (_u, min, max) => (min === max ? range : [min, max]) : undefined,
  });
  return {
    mode: 2,
    width,
    height: props.height ?? 300,
    legend: { show: false },
    cursor: { drag: { x: true, y: true }, points: { show: false } },
    scales: { x: fixed(props.xRange), y: fixed(props.yRange) },
    axes: [axis(props.xLabel), axis(props.yLabel)],
    series: [
      {},
      ...props.series.map((s) => ({
        label: s.label,
        stroke: s.color,
        width: 1.5,
        dash: s.dash,
        points: { show: false },
        facets: [
          { scale: "x", auto: !props.xRange },
          { scale: "y", auto: !props.yRange },
        ],
      })),
    ] as uPlot.Series[],
  };
}

export function LineChart(props: LineChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const [width, setWidth] = useState(0);
  const [readout, setReadout] = useState("");
  const dark = useDarkMode();
  const { onChart } = props;
  const [xLo, xHi] = props.xRange ?? [NaN, NaN];
  const [yLo, yHi] = props.yRange ?? [NaN, NaN];

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setWidth(el.clientWidth));
    observer.observe(el);
    setWidth(el.clientWidth);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    const el = host.current;
    // uPlot's mode 2 needs at least one series: with none there is nothing to draw.
    if (!el || width === 0 || props.series.length === 0) return;
    const opts = buildOptions(props, width, figureColors("theme"));
    opts.hooks = {
      setCursor: [
        (u) => {
          const { left, top } = u.cursor;
          if (left == null || top == null || left < 0) return setReadout("");
          const x = u.posToVal(left, "x");
          const y = u.posToVal(top, "y");
          let best: { d: number; text: string } | null = null;
          for (const s of props.series) {
            if (s.x.length === 0) continue;
            const i = nearestIndex(s.x, x);
            const d = Math.hypot(s.x[i] - x, s.y[i] - y);
            if (!best || d < best.d) best = { d, text: `${s.label}: ${props.xLabel} ${formatValue(s.x[i])}, ${props.yLabel} ${formatValue(s.y[i])}` };
          }
          setReadout(best?.text ?? "");
        },
      ],
    };
    const u = new uPlot(opts, chartData(props.series), el);
    chart.current = u;
    onChart?.(u);
    return () => {
      u.destroy();
      chart.current = null;
      onChart?.(null);
    };
    // Rebuild on data/appearance changes; uPlot's own setData does not handle series changes. The
    // ranges count by value, so callers may pass fresh arrays each render; `series` by identity
    // (memoize it).
    // eslint-disable-next-line react-hooks/exhaustive-deps -- see above
  }, [props.series, width, dark, xLo, xHi, yLo, yHi]);

  const legend = legendItems(props);
  /** The chart redrawn in `colors` at 2x, for the PNG export. */
  const renderFor = async (colors: FigureColors): Promise<HTMLCanvasElement | null> => {
    if (width === 0 || props.series.length === 0) return null;
    const box = document.createElement("div");
    box.style.cssText = "position:absolute;left:-10000px;top:0";
    document.body.appendChild(box);
    const opts = buildOptions(props, width, colors);
    const u = new uPlot(opts, chartData(props.series), box);
    // uPlot draws in a microtask after construction; a frame later the canvas holds the chart.
    await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
    const out = document.createElement("canvas");
    const src = u.ctx.canvas;
    out.width = src.width;
    out.height = src.height;
    // uPlot draws at the page's pixel ratio (a global it reads from the screen).
    out.style.width = `${src.width / uPlot.pxRatio}px`;
    out.style.height = `${src.height / uPlot.pxRatio}px`;
    out.getContext("2d")!.drawImage(src, 0, 0);
    u.destroy();
    box.remove();
    return out;
  };
  const title = props.title ?? `${props.yLabel} vs ${props.xLabel}`;
  const summaryItem: LegendItem[] = (props.legendSummary ? props.legendSummary.split(" · ") : []).map((label) => ({ label, color: "transparent" }));
  return (
    <div className="tbs-chart" data-testid={props.testId}>
      {props.exportable !== false && props.series.length > 0 && (
        <div className="tbs-chart-tools">
          <ExportPngButton
            render={renderFor}
            title={title}
            legend={[...summaryItem, ...legend]}
            filename={props.filename ?? safeFilename(title)}
            testId={`export-png-${props.testId ?? "chart"}`}
          />
        </div>
      )}
      <div ref={host} />
      <div className="tbs-hover-readout">{readout}</div>
      {props.legendSummary && (
        <div className="tbs-legend-summary" data-testid="legend-summary">
          {props.legendSummary}
        </div>
      )}
      <div className="tbs-legend" data-testid="legend" data-count={legend.length}>
        {legend.map((s, i) => (
          <span key={i} title={s.note ? `${s.label} ${s.note}` : s.label} data-testid="legend-item">
            <LegendSwatch color={s.color} dash={s.dash} />
            {s.label}
            {s.note && <span className="tbs-muted">{s.note}</span>}
          </span>
        ))}
      </div>
    </div>
  );
}

// uPlot's mode 2 data: a null placeholder, then [xs, ys] per series (typed arrays are fine).
function chartData(series: readonly LineSeries[]): uPlot.AlignedData {
  return [null, ...series.map((s) => [s.x, s.y])] as unknown as uPlot.AlignedData;
}

function legendItems(props: LineChartProps): LegendItem[] {
  return props.series
    .filter((s) => !props.hideFromLegend?.(s))
    .map((s) => ({ label: s.label, color: s.color, dash: s.dash, note: s.note }));
}

/** A short line in the series' colour and dash (so a dashed run reads as dashed in the legend). */
export function LegendSwatch({ color, dash }: { color: string; dash?: number[] }) {
  return (
    <svg className="tbs-legend-swatch" width="22" height="10" aria-hidden="true" data-dash={dash?.join(",") ?? ""}>
      <line x1="0" y1="5" x2="22" y2="5" stroke={color} strokeWidth="2.5" strokeDasharray={dash?.join(" ")} />
    </svg>
  );
}
