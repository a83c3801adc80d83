/** Axes of the parallel-coordinates view: a numeric axis maps its range, a categorical one spreads its
 * sorted categories evenly; a brush is a [lo, hi] interval in axis position (0 bottom, 1 top). */
import type { ConfigValue } from "./data";

export interface Axis {
  key: string;
  label: string;
  numeric: boolean;
  lo: number;
  hi: number;
  categories: string[];
}

export function makeAxis(key: string, label: string, values: readonly (ConfigValue | undefined)[]): Axis {
  const present = values.filter((v): v is ConfigValue => v !== undefined && v !== null);
  const numeric = present.length > 0 && present.every((v) => typeof v === "number");
  if (numeric) {
    const nums = present as number[];
    return { key, label, numeric, lo: Math.min(...nums), hi: Math.max(...nums), categories: [] };
  }
  return { key, label, numeric, lo: 0, hi: 0, categories: [...new Set(present.map(String))].sort() };
}

/** Position in [0, 1] of a value on its axis; NaN when the value is missing. */
export function position(axis: Axis, value: ConfigValue | undefined): number {
  if (value === undefined || value === null) return NaN;
  if (axis.numeric) {
    if (typeof value !== "number") return NaN;
    return axis.hi > axis.lo ? (value - axis.lo) / (axis.hi - axis.lo) : 0.5;
  }
  const i = axis.categories.indexOf(String(value));
  if (i < 0) return NaN;
  return axis.categories.length > 1 ? i / (axis.categories.length - 1) : 0.5;
}

/** Whether a value lies in the brushed interval (a missing value never does). */
export function inBrush(axis: Axis, value: ConfigValue | undefined, brush: [number, number]): boolean {
  const p = position(axis, value);
  const [a, b] = brush[0] <= brush[1] ? brush : [brush[1], brush[0]];
  return p >= a - 1e-9 && p <= b + 1e-9;
}

/** The config keys worth an axis: those with more than one distinct value among the rows. */
export function varyingKeys(rows: readonly { config: Record<string, ConfigValue> }[], keys: readonly string[]): string[] {
  return keys.filter((k) => new Set(rows.map((r) => JSON.stringify(r.config[k] ?? null))).size > 1);
}
