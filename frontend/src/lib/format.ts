/**
 * The one number formatter of every tab (cells, tooltips, tables, axes, legends, titles). Values are
 * shown to a number of significant digits, never to fixed decimals, so a small value never reads as
 * zero: 0.0042 is "0.0042", 1.35e-4 is "1.35e-4", 12345.6 is "12346", 3.2e7 is "3.2e7".
 */

/** What NaN (a missing value) prints as. */
export const MISSING = "–";

/** Fixed-point below this magnitude switches to exponent notation. */
const SMALL = 1e-3;
/** Non-integers from here (integers from `LARGE_INT`) switch to exponent notation. */
const LARGE = 1e6;
const LARGE_INT = 1e6;

function special(v: number): string | null {
  if (Number.isNaN(v)) return MISSING;
  if (v === Infinity) return "∞";
  if (v === -Infinity) return "-∞";
  return null;
}

/** "1.50e-4" -> "1.5e-4", "2.00e+7" -> "2e7". */
function exponent(v: number, significant: number): string {
  const [mantissa, exp] = v.toExponential(Math.max(0, significant - 1)).split("e");
  return `${stripZeros(mantissa)}e${exp.replace("+", "")}`;
}

function stripZeros(text: string): string {
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}

/**
 * `v` to `significant` digits (trailing zeros dropped); integers below 1e6 exactly; exponent
 * notation below 1e-3 and from 1e6; "–" for NaN, "∞" / "-∞" for infinities, "0" for ±0.
 */
export function formatNumber(v: number, significant = 3): string {
  const s = special(v);
  if (s !== null) return s;
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (Number.isInteger(v) && a < LARGE_INT) return String(v);
  const digits = Math.max(1, Math.floor(significant));
  if (a < SMALL || a >= LARGE) return exponent(v, digits);
  const decimals = Math.min(20, Math.max(0, digits - 1 - Math.floor(Math.log10(a))));
  const text = stripZeros(v.toFixed(decimals));
  return text === "-0" ? "0" : text;
}

/** Back-compatible name of `formatNumber` (its second argument is significant digits). */
export const formatValue = formatNumber;

/**
 * Fixed decimals, for columns whose values share a range and must line up (AUC, precision in
 * [0, 1]); NaN and infinities as `formatNumber` writes them.
 */
export function formatFixed(v: number, decimals: number): string {
  return special(v) ?? v.toFixed(decimals);
}

/** A score in [0, 1] (AUC, precision...) with fixed digits, so columns and legends line up. */
export function formatMetric(v: number, digits = 3): string {
  return formatFixed(v, digits);
}

/** A fraction as a percentage: one decimal from 0.1 %, significant digits below (never "0.0%" for a non-zero). */
export function formatPercent(v: number): string {
  const s = special(v);
  if (s !== null) return s;
  const p = v * 100;
  return Math.abs(p) >= 0.1 || p === 0 ? `${p.toFixed(1)}%` : `${formatNumber(p, 2)}%`;
}

/** Milliseconds for machine-read attributes (data-draw-ms...): two decimals. */
export function formatMs(ms: number): string {
  return formatFixed(ms, 2);
}
