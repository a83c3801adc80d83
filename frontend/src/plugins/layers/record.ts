/** Typed access to tbs_layers records and route answers (docs/http_api.md, "tbs_layers"), and the pure math the tab draws with. */
import type { WireRecord } from "../../lib/wire";

export type Kind = "activations" | "gradients" | "weights";
export const KINDS: readonly Kind[] = ["activations", "gradients", "weights"];
export const HISTOGRAM: Record<Kind, string> = { activations: "act_hist", gradients: "grad_hist", weights: "weight_hist" };
export const RANGE: Record<Kind, [string, string]> = {
  activations: ["act_min", "act_max"],
  gradients: ["grad_min", "grad_max"],
  weights: ["weight_min", "weight_max"],
};

export interface Diagnosis {
  kind: "nonfinite" | "exploding" | "vanishing" | "dead" | "update_ratio";
  severity: number;
  layer: number;
  name: string;
  message: string;
  threshold: number;
}
/** A flag of one step, from a row of the record's `diagnoses` array. */
export interface StepFlag {
  kind: Diagnosis["kind"];
  severity: number;
  layer: number;
}

export const SEVERITY: Record<Diagnosis["kind"], number> = { nonfinite: 3, exploding: 3, vanishing: 2, dead: 1, update_ratio: 1 };
export interface MergedDiagnosis extends Diagnosis {
  first_step: number;
  last_step: number;
  steps: number;
  worst: number | null;
}
export interface FirstNonfinite {
  step: number;
  layer: number;
  name: string;
  pass: "forward" | "backward";
}
export interface FeatureMapEntry {
  layer: string;
  array: string;
  shape: number[];
}

export interface LayersMeta {
  layers: string[];
  types: string[];
  bins: number;
  stats: string[];
  /** The kind of each diagnosis code (rows of the `diagnoses` array). */
  diagnosis_kinds: Diagnosis["kind"][];
  first_nonfinite: FirstNonfinite | null;
  feature_maps?: FeatureMapEntry[];
  thresholds?: Record<string, number>;
}

export interface LayersRecord {
  meta: LayersMeta;
  layers: number;
  /** A `[L]` row of the `stats` array by statistic name (all NaN when the record lacks it). */
  stat: (name: string) => ArrayLike<number>;
  /** The `[L * bins]` histogram fractions of a kind. */
  hist: (kind: Kind) => ArrayLike<number>;
  flags: StepFlag[];
}

/** The flags of `[D, 4]` rows (code, layer, value, threshold); rows naming no known code or layer are left out. */
export function decodeFlags(rows: ArrayLike<number>, kinds: readonly Diagnosis["kind"][], layers: number): StepFlag[] {
  const out: StepFlag[] = [];
  for (let i = 0; i + 3 < rows.length; i += 4) {
    const kind = kinds[rows[i]];
    const layer = rows[i + 1];
    if (kind && SEVERITY[kind] && Number.isInteger(layer) && layer >= 0 && layer < layers) out.push({ kind, severity: SEVERITY[kind], layer });
  }
  return out;
}

export function toLayersRecord(wire: WireRecord<LayersMeta>): LayersRecord {
  const meta = wire.meta;
  const L = meta.layers.length;
  const stats = wire.arrays.stats?.data ?? new Float32Array(0);
  const missing = new Float32Array(L).fill(NaN);
  return {
    meta,
    layers: L,
    stat: (name) => {
      const k = meta.stats.indexOf(name);
      return k < 0 || stats.length < (k + 1) * L ? missing : stats.subarray(k * L, (k + 1) * L);
    },
    hist: (kind) => wire.arrays[HISTOGRAM[kind]]?.data ?? new Float32Array(L * meta.bins).fill(NaN),
    flags: decodeFlags(wire.arrays.diagnoses?.data ?? [], meta.diagnosis_kinds ?? [], L),
  };
}

/** Statistics a layer x step heatmap can show, with whether a log colour scale suits them. */
export const HEATMAP_STATS: { value: string; label: string; log: boolean }[] = [
  { value: "grad_norm", label: "gradient norm", log: true },
  { value: "grad_mean_abs", label: "mean |gradient|", log: true },
  { value: "grad_max_abs", label: "max |gradient|", log: true },
  { value: "update_ratio", label: "update ratio", log: true },
  { value: "act_std", label: "activation std", log: true },
  { value: "act_mean", label: "activation mean", log: false },
  { value: "act_dead_frac", label: "dead-unit fraction", log: false },
  { value: "act_zero_frac", label: "zero fraction", log: false },
  { value: "act_saturated_frac", label: "saturated fraction", log: false },
  { value: "weight_norm", label: "weight norm", log: true },
  { value: "weight_std", label: "weight std", log: true },
  { value: "act_nonfinite", label: "NaN/Inf activations", log: false },
  { value: "grad_nonfinite", label: "NaN/Inf gradients", log: false },
];

/** log10 of each value; NaN for values <= 0, NaN or Inf (drawn as missing on a log scale). */
export function log10Values(values: ArrayLike<number>): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i] > 0 && Number.isFinite(values[i]) ? Math.log10(values[i]) : NaN;
  return out;
}

/** The values with Inf as NaN, so an infinite value (an exploded run) does not flatten the colour scale. */
export function finiteValues(values: ArrayLike<number>): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Number.isFinite(values[i]) ? values[i] : NaN;
  return out;
}

/** Whether any value is finite (and, for a log axis, positive). */
export function anyDrawable(series: readonly ArrayLike<number>[], log: boolean): boolean {
  for (const s of series) for (let i = 0; i < s.length; i++) if (Number.isFinite(s[i]) && (!log || s[i] > 0)) return true;
  return false;
}

/** The rows of a row-major `[rows, cols]` grid in reverse order (so the highest value bin is drawn on top). */
export function flipRows(values: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[(rows - 1 - r) * cols + c] = values[r * cols + c];
  return out;
}

/** The most severe flag of each layer (by layer index) among a step's diagnoses of `kinds` (default: all). */
export function layerSeverity(diagnoses: readonly StepFlag[], kinds?: readonly Diagnosis["kind"][]): Map<number, number> {
  const out = new Map<number, number>();
  for (const d of diagnoses) if (!kinds || kinds.includes(d.kind)) out.set(d.layer, Math.max(out.get(d.layer) ?? 0, d.severity));
  return out;
}

/** Powers of ten spanning [lo, hi] (positive), at most `maxTicks` of them (every k-th decade). */
export function logTicks(lo: number, hi: number, maxTicks = 8): number[] {
  if (!(lo > 0) || !(hi >= lo)) return [];
  const a = Math.floor(Math.log10(lo));
  const b = Math.ceil(Math.log10(hi));
  const stride = Math.max(1, Math.ceil((b - a + 1) / maxTicks));
  const out: number[] = [];
  for (let e = a; e <= b; e += stride) out.push(Number(`1e${e}`)); // exact, unlike 10 ** -4
  return out;
}

/** [lo, hi] of the positive finite values of several series (for a log axis); null when there are none. */
export function positiveExtent(series: readonly ArrayLike<number>[], extra: readonly number[] = []): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  const take = (v: number) => {
    if (!(v > 0 && Number.isFinite(v))) return;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  };
  for (const s of series) for (let i = 0; i < s.length; i++) take(s[i]);
  extra.forEach(take);
  return lo <= hi ? [lo, hi] : null;
}

/** Centres of `bins` equal bins over [lo, hi], as numpy.histogram makes them (lo == hi: [lo - 0.5, lo + 0.5]). */
export function binCenters(lo: number, hi: number, bins: number): number[] {
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  return Array.from({ length: bins }, (_, i) => lo + ((i + 0.5) * (hi - lo)) / bins);
}

/** A grid of `count` tiles, about square: [columns, rows]. */
export function gridShape(count: number): [number, number] {
  const cols = Math.max(1, Math.ceil(Math.sqrt(count)));
  return [cols, Math.max(1, Math.ceil(count / cols))];
}

export const SEVERITY_COLORS: Record<number, string> = { 3: "#d93025", 2: "#f29900", 1: "#a142f4" };
export const SEVERITY_NAMES: Record<number, string> = { 3: "critical", 2: "high", 1: "warning" };
