/** Curve transforms of the Runs tab: TensorBoard's debiased EMA, x axis modes, colour by a config value. */
import { colormapLut, cssColor, lutIndex } from "../../lib/colormaps";
import { seriesColor } from "../../lib/theme";
import type { ConfigValue } from "./data";

/**
 * TensorBoard's smoothing: an exponential moving average debiased like Adam (divided by 1 - w^n), so the
 * start is not pulled towards 0. Non-finite points pass through and do not enter the average.
 */
export function debiasedEma(values: ArrayLike<number>, weight: number): Float64Array {
  const out = new Float64Array(values.length);
  let last = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v) || weight <= 0) {
      out[i] = v;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    count++;
    out[i] = weight >= 1 ? v : last / (1 - Math.pow(weight, count));
  }
  return out;
}

export type XAxis = "step" | "relative" | "wall";

export function xValues(mode: XAxis, step: Float64Array, wall: Float64Array): Float64Array {
  if (mode === "step") return step;
  if (mode === "wall") return wall;
  const start = wall.length ? wall[0] : 0;
  return wall.map((w) => w - start);
}

/** log10 of positive values, NaN for the others (the chart then leaves a gap). */
export function log10Values(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values as ArrayLike<number>, (v) => (v > 0 ? Math.log10(v) : NaN));
}

export interface ColorScale {
  color: (value: ConfigValue | undefined) => string;
  /** Legend entries: category -> colour, or the colormap's ends for numbers. */
  legend: { label: string; color: string }[];
  continuous: boolean;
}

/** Numbers get viridis over their range; anything else a categorical palette in sorted order. */
export function colorScale(values: readonly (ConfigValue | undefined)[]): ColorScale {
  const present = values.filter((v): v is ConfigValue => v !== undefined && v !== null);
  if (present.length && present.every((v) => typeof v === "number")) {
    const nums = present as number[];
    const lo = Math.min(...nums);
    const hi = Math.max(...nums);
    const lut = colormapLut("viridis");
    const useLog = lo > 0 && hi / lo > 100;
    const t = (v: number) => (useLog ? Math.log10(v) : v);
    const color = (v: ConfigValue | undefined) => (typeof v === "number" ? cssColor(lut, lutIndex(t(v), t(lo), t(hi))) : "#9aa0a6");
    return {
      color,
      continuous: true,
      legend: [
        { label: `${lo}${useLog ? " (log scale)" : ""}`, color: color(lo) },
        { label: String(hi), color: color(hi) },
      ],
    };
  }
  const categories = [...new Set(present.map(String))].sort();
  const color = (v: ConfigValue | undefined) =>
    v === undefined || v === null ? "#9aa0a6" : seriesColor(categories.indexOf(String(v)));
  return { color, continuous: false, legend: categories.map((c, i) => ({ label: c, color: seriesColor(i) })) };
}

/** Mean, min, max and sample standard deviation (n - 1, as the table's groups; NaN for one curve) over
 * curves at the steps all of them have. */
export function groupBand(curves: { step: ArrayLike<number>; value: ArrayLike<number> }[]) {
  if (!curves.length) return null;
  const maps = curves.map((c) => {
    const m = new Map<number, number>();
    for (let i = 0; i < c.step.length; i++) m.set(c.step[i], c.value[i]);
    return m;
  });
  const steps = [...maps[0].keys()].filter((s) => maps.every((m) => m.has(s))).sort((a, b) => a - b);
  const mean = new Float64Array(steps.length);
  const lo = new Float64Array(steps.length);
  const hi = new Float64Array(steps.length);
  const std = new Float64Array(steps.length);
  steps.forEach((s, i) => {
    const vs = maps.map((m) => m.get(s) as number);
    mean[i] = vs.reduce((a, b) => a + b, 0) / vs.length;
    lo[i] = Math.min(...vs);
    hi[i] = Math.max(...vs);
    std[i] = vs.length > 1 ? Math.sqrt(vs.reduce((a, v) => a + (v - mean[i]) ** 2, 0) / (vs.length - 1)) : NaN;
  });
  return { steps: Float64Array.from(steps), mean, lo, hi, std };
}
