/** Compact number formatting shared by tooltips, tables and cell text. */
export function formatValue(v: number, digits = 3): string {
  if (Number.isNaN(v)) return "–";
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return v.toFixed(digits);
}

export function formatPercent(v: number): string {
  return Number.isNaN(v) ? "–" : `${(v * 100).toFixed(1)}%`;
}

/** A score in [0, 1] (AUC, precision...) with fixed digits, so columns and legends line up. */
export function formatMetric(v: number, digits = 3): string {
  return Number.isNaN(v) ? "–" : v.toFixed(digits);
}
