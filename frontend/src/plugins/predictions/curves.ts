import type { Curve } from "./record";

/** Curves as uPlot wants them: x ascending (PR curves arrive with recall descending). */
export function ascending(curve: Curve): Curve {
  const n = curve.x.length;
  return n > 1 && curve.x[0] > curve.x[n - 1] ? { x: curve.x.slice().reverse(), y: curve.y.slice().reverse() } : curve;
}
