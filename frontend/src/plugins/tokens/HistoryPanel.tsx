/** Loss and perplexity across steps per run; for a selected token, its target probability and entropy. */
import { useMemo } from "react";
import { LineChart, type LineSeries } from "../../lib/LineChart";
import { runColor } from "../../lib/theme";
import type { History } from "./data";

/** `[run, history]` pairs, in run order. */
type Histories = readonly (readonly [string, History])[];

function finite(xs: ArrayLike<number>, ys: ArrayLike<number> | undefined) {
  const x: number[] = [];
  const y: number[] = [];
  if (ys) for (let i = 0; i < xs.length; i++) if (Number.isFinite(ys[i])) {
        x.push(xs[i]);
        y.push(ys[i]);
      }
  return { x, y };
}

type Quantity = "loss" | "perplexity" | "targetProb" | "entropy" | "rank";

function useSeries(histories: Histories | null, colors: Map<string, string>, quantity: Quantity) {
  return useMemo<LineSeries[]>(
    () =>
      (histories ?? []).map(([run, h]) => ({
        label: run,
        color: runColor(colors, run),
        ...finite(h.steps, h[quantity]),
      })),
    [histories, colors, quantity],
  );
}

/** [lo, hi] over every series' values, widened when flat (the chart's scales are fixed, not auto). */
function extent(series: readonly LineSeries[], axis: "x" | "y", floor?: number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) for (let i = 0; i < s[axis].length; i++) {
      lo = Math.min(lo, s[axis][i]);
      hi = Math.max(hi, s[axis][i]);
    }
  if (!Number.isFinite(lo)) return [0, 1];
  if (floor !== undefined) lo = Math.min(lo, floor);
  return hi > lo ? [lo, hi] : [lo - 1, hi + 1];
}

export function LossCharts({ histories, colors, tag }: { histories: Histories | null; colors: Map<string, string>; tag: string }) {
  const loss = useSeries(histories, colors, "loss");
  const perplexity = useSeries(histories, colors, "perplexity");
  if (loss.length === 0) return null; // uPlot's mode 2 needs at least one series
  return (
    <div className="tbs-row" style={{ alignItems: "flex-start" }}>
      <div className="tbs-panel" style={{ flex: 1, minWidth: 320 }}>
        <h3>Loss (mean over the logged tokens)</h3>
        <LineChart series={loss} xLabel="step" yLabel="loss" xRange={extent(loss, "x")} yRange={extent(loss, "y", 0)} height={180} testId="loss-chart" title={`${tag} · loss per step`} />
      </div>
      <div className="tbs-panel" style={{ flex: 1, minWidth: 320 }}>
        <h3>Perplexity</h3>
        <LineChart
          series={perplexity}
          xLabel="step"
          yLabel="perplexity"
          xRange={extent(perplexity, "x")}
          yRange={extent(perplexity, "y", 1)}
          height={180}
          testId="perplexity-chart"
          title={`${tag} · perplexity per step`}
        />
      </div>
    </div>
  );
}

export function TokenSparklines(props: { histories: Histories | null; colors: Map<string, string>; title: string }) {
  const prob = useSeries(props.histories, props.colors, "targetProb");
  const entropy = useSeries(props.histories, props.colors, "entropy");
  const rank = useSeries(props.histories, props.colors, "rank");
  if (prob.length === 0) return null; // uPlot's mode 2 needs at least one series
  return (
    <div className="tbs-panel" data-testid="token-history">
      <h3>{props.title} across steps</h3>
      <div className="tbs-row" style={{ alignItems: "flex-start" }}>
        <div style={{ flex: 1, minWidth: 260 }}>
          <LineChart series={prob} xLabel="step" yLabel="target p" xRange={extent(prob, "x")} yRange={[0, 1]} height={150} testId="target-prob-chart" title={`${props.title} · target probability`} />
        </div>
        <div style={{ flex: 1, minWidth: 260 }}>
          <LineChart series={entropy} xLabel="step" yLabel="entropy" xRange={extent(entropy, "x")} yRange={extent(entropy, "y", 0)} height={150} testId="entropy-chart" title={`${props.title} · entropy`} />
        </div>
        <div style={{ flex: 1, minWidth: 260 }}>
          <LineChart series={rank} xLabel="step" yLabel="target rank" xRange={extent(rank, "x")} yRange={extent(rank, "y", 1)} height={150} testId="rank-chart" title={`${props.title} · target rank (1 = top prediction)`} />
        </div>
      </div>
    </div>
  );
}
