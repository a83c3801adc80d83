/** Confusion-matrix math: normalization, per-cell rates and differences. */

export type NormMode = "raw" | "row" | "col";

export function rowSums(m: ArrayLike<number>, C: number): Float64Array {
  const out = new Float64Array(C);
  for (let r = 0; r < C; r++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += m[r * C + c];
    out[r] = s;
  }
  return out;
}

export function colSums(m: ArrayLike<number>, C: number): Float64Array {
  const out = new Float64Array(C);
  for (let r = 0; r < C; r++) for (let c = 0; c < C; c++) out[c] += m[r * C + c];
  return out;
}

/**
 * "row": each row divided by its sum (recall on the diagonal); "col": each column by its sum
 * (precision on the diagonal). Empty rows/columns stay 0. "raw" returns `m` itself (no copy).
 */
export function normalize(m: ArrayLike<number>, C: number, mode: NormMode): ArrayLike<number> {
  if (mode === "raw") return m;
  const out = new Float64Array(m.length);
  const sums = mode === "row" ? rowSums(m, C) : colSums(m, C);
  for (let r = 0; r < C; r++) {
    for (let c = 0; c < C; c++) {
      const s = sums[mode === "row" ? r : c];
      out[r * C + c] = s > 0 ? m[r * C + c] / s : 0;
    }
  }
  return out;
}

export function difference(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  if (a.length !== b.length) throw new Error("matrices differ in size");
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] - b[i];
  return out;
}

/** Largest absolute value (at least a tiny epsilon, for a symmetric diverging domain). */
export function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]));
  return m || 1e-9;
}
