/**
 * Line chart on uPlot for series that do not share x values (ROC / PR curves, per-run lines):
 * uPlot's mode 2 takes one [xs, ys] pair per series. Drag zooms (x and y), double-click resets.
 * The legend and hover readout are ours, so legend entries can carry extra text (AUC, AP).
 */
import { useEffect, useRef, useState } from "react";
import uPlot from "uplot";
import { formatValue } from "./format";
import { nearestIndex } from "./nearest";
import { cssVar } from "./theme";
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
  /** Receives the uPlot instance (for PNG export of `u.ctx.canvas`). */
  onChart?: (chart: uPlot | null) => void;
}

function buildOptions(props: LineChartProps, width: number): uPlot.Options {
  const fg = cssVar("--tbs-fg", "#202124");
  const grid = cssVar("--tbs-grid", "rgba(0,0,0,0.08)");
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
    const opts = buildOptions(props, width);
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
    // uPlot's mode 2 data: a null placeholder, then [xs, ys] per series (typed arrays are fine).
    const data = [null, ...props.series.map((s) => [s.x, s.y])] as unknown as uPlot.AlignedData;
    const u = new uPlot(opts, data, el);
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
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [props.series, width, dark, xLo, xHi, yLo, yHi]);

  return (
    <div className="tbs-chart" data-testid={props.testId}>
      <div ref={host} />
      <div className="tbs-hover-readout">{readout}</div>
      <div className="tbs-legend">
        {props.series.map((s, i) => (
          <span key={i} title={s.label}>
            <span className="tbs-swatch" style={{ background: s.color }} />
            {s.label}
            {s.note && <span className="tbs-muted">{s.note}</span>}
          </span>
        ))}
      </div>
    </div>
  );
}
