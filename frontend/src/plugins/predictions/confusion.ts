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

/** One off-diagonal cell: true class `row` predicted as `col`; `rate` is its share of the true class. */
export interface Confusion {
  row: number;
  col: number;
  count: number;
  rate: number;
}

/** The `n` largest off-diagonal counts (ties by row, then column), with their share of the true class. */
export function topConfusions(m: ArrayLike<number>, C: number, n: number): Confusion[] {
  const rows = rowSums(m, C);
  const cells: Confusion[] = [];
  for (let r = 0; r < C; r++) {
    for (let c = 0; c < C; c++) {
      const count = m[r * C + c];
      if (r !== c && count > 0) cells.push({ row: r, col: c, count, rate: rows[r] ? count / rows[r] : NaN });
    }
  }
  cells.sort((a, b) => b.count - a.count || a.row - b.row || a.col - b.col);
  return cells.slice(0, n);
}

/**
 * An order of the classes that puts classes confused with each other next to each other: pairs by
 * how often they are confused either way (as shares of their true classes), strongest first, join
 * their groups end to end (single-linkage chaining), so the strongest pair is always adjacent.
 * Classes confused with none keep their order at the end.
 */
export function groupedOrder(m: ArrayLike<number>, C: number): number[] {
  const rows = rowSums(m, C);
  const pairs: { a: number; b: number; s: number }[] = [];
  for (let a = 0; a < C; a++) {
    for (let b = a + 1; b < C; b++) {
      const s = (rows[a] ? m[a * C + b] / rows[a] : 0) + (rows[b] ? m[b * C + a] / rows[b] : 0);
      if (s > 0) pairs.push({ a, b, s });
    }
  }
  pairs.sort((p, q) => q.s - p.s || p.a - q.a || p.b - q.b);
  const group = Array.from({ length: C }, (_, i) => i);
  const members = new Map<number, number[]>(group.map((i) => [i, [i]]));
  const find = (i: number): number => (group[i] === i ? i : (group[i] = find(group[i])));
  for (const { a, b } of pairs) {
    const ga = find(a);
    const gb = find(b);
    if (ga === gb) continue;
    // Join so that a and b end up as close as the two chains allow: a's chain ending in a, b's starting at b.
    const left = members.get(ga)!;
    const right = members.get(gb)!;
    if (left[0] === a && left.length > 1) left.reverse();
    if (right.at(-1) === b && right.length > 1) right.reverse();
    members.set(ga, [...left, ...right]);
    members.delete(gb);
    group[gb] = ga;
  }
  const chains = [...members.values()];
  chains.sort((x, y) => (y.length > 1 ? 1 : 0) - (x.length > 1 ? 1 : 0) || Math.min(...x) - Math.min(...y));
  return chains.flat();
}

/** The square submatrix of `m` on the classes `idx` (rows and columns in that order). */
export function submatrix(m: ArrayLike<number>, C: number, idx: readonly number[]): Float64Array {
  const n = idx.length;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const base = idx[i] * C;
    for (let j = 0; j < n; j++) out[i * n + j] = m[base + idx[j]];
  }
  return out;
}

/** The values with the diagonal of the class order `idx` hidden (NaN), so the scale fits the errors. */
export function hideDiagonal(values: ArrayLike<number>, idx: readonly number[]): Float64Array {
  const n = idx.length;
  const out = Float64Array.from(values as ArrayLike<number>);
  for (let i = 0; i < n; i++) out[i * n + i] = NaN;
  return out;
}

/** log10(v + offset) per value, and the offset: 1 for counts (log10(1 + count)), else half the smallest positive value. */
export function logValues(values: ArrayLike<number>, counts: boolean): { values: Float64Array; offset: number } {
  let minPositive = Infinity;
  for (let i = 0; i < values.length; i++) if (values[i] > 0 && values[i] < minPositive) minPositive = values[i];
  const offset = counts ? 1 : Number.isFinite(minPositive) ? minPositive / 2 : 1e-6;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.log10(values[i] + offset);
  return { values: out, offset };
}

/** Classes whose name matches `query` (a case-insensitive regular expression, else plain text). */
export function matchClasses(names: readonly string[], query: string): number[] {
  const all = names.map((_, i) => i);
  if (!query) return all;
  let test: (s: string) => boolean;
  try {
    const re = new RegExp(query, "i");
    test = (s) => re.test(s);
  } catch {
    const needle = query.toLowerCase();
    test = (s) => s.toLowerCase().includes(needle);
  }
  return all.filter((i) => test(names[i]));
}
