/** Geometry and scales of the 2D plane view: grid <-> plane coordinates, log scale, contour levels. */

/** Values as drawn: log10 of the loss when `log` (shifted to stay positive when some are <= 0). */
export function scaled(values: ArrayLike<number>, log: boolean): Float64Array {
  const out = Float64Array.from(values as ArrayLike<number>);
  if (!log) return out;
  const shift = logShift(out);
  for (let i = 0; i < out.length; i++) out[i] = Math.log10(out[i] + shift);
  return out;
}

/** What `scaled(values, true)` adds before log10: 0 when every value is positive. */
export function logShift(values: ArrayLike<number>): number {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min > 0 ? 0 : -min + Math.max(1e-12, (max - min) * 1e-6);
}

/** The loss a drawn value `v` stands for (the inverse of `scaled`, shift included). */
export function unscaled(v: number, log: boolean, shift: number): number {
  return log ? 10 ** v - shift : v;
}

export function range(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}

/** `levels` thresholds evenly spaced strictly inside [lo, hi]. */
export function thresholds(lo: number, hi: number, levels: number): number[] {
  const n = Math.max(1, Math.floor(levels));
  return Array.from({ length: n }, (_, k) => lo + ((hi - lo) * (k + 1)) / (n + 1));
}

/**
 * Fractional grid position of plane coordinate `v` on an axis with samples `axis` (cell centres sit at
 * index + 0.5, the convention of d3-contour and of one pixel per cell).
 */
export function gridPos(axis: ArrayLike<number>, v: number): number {
  const n = axis.length;
  const a = axis[0];
  const b = axis[n - 1];
  return n < 2 || b === a ? 0.5 : ((v - a) / (b - a)) * (n - 1) + 0.5;
}

/** Nearest sample index to fractional grid position `pos`. */
export function nearestCell(pos: number, n: number): number {
  return Math.max(0, Math.min(n - 1, Math.floor(pos)));
}

export const MIN_LEVELS = 2;
export const MAX_LEVELS = 60;

/** A typed contour count, or null while the text is not one yet (empty, "1" on the way to "15"...). */
export function parseLevels(text: string): number | null {
  if (!/^\d+$/.test(text.trim())) return null;
  const n = Number(text);
  return n >= MIN_LEVELS && n <= MAX_LEVELS ? n : null;
}

/** The finite [min, max] over several planes' losses. */
export function sharedRange(losses: readonly ArrayLike<number>[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const values of losses) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    }
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}
