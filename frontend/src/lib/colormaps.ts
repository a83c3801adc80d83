/** Colormaps as 256-entry RGB lookup tables: viridis and magma are matplotlib's own 256-colour tables,
 * the diverging map ColorBrewer's RdBu (blue low, red high), all from d3-scale-chromatic. */

import { interpolateMagma, interpolateRdBu, interpolateViridis } from "d3-scale-chromatic";

export type ColormapName = "viridis" | "magma" | "diverging" | "greys";

/** Colour at t in [0, 1], low to high, as a CSS colour (d3 gives "#rrggbb" or "rgb(r, g, b)"). */
const INTERPOLATORS: Record<ColormapName, (t: number) => string> = {
  viridis: interpolateViridis,
  magma: interpolateMagma,
  diverging: (t) => interpolateRdBu(1 - t),
  greys: (t) => {
    const v = Math.round(255 * (1 - t));
    return `rgb(${v}, ${v}, ${v})`;
  },
};

export const COLORMAPS = Object.keys(INTERPOLATORS) as ColormapName[];
export const LUT_SIZE = 256;

function parseColor(css: string): [number, number, number] {
  if (css.startsWith("#")) {
    const n = parseInt(css.slice(1), 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }
  const [r, g, b] = css.slice(css.indexOf("(") + 1, -1).split(",").map(Number);
  return [r, g, b];
}

const cache = new Map<ColormapName, Uint8Array>();

/** RGB triples, `LUT_SIZE * 3` bytes. */
export function colormapLut(name: ColormapName): Uint8Array {
  const cached = cache.get(name);
  if (cached) return cached;
  const lut = new Uint8Array(LUT_SIZE * 3);
  for (let i = 0; i < LUT_SIZE; i++) lut.set(parseColor(INTERPOLATORS[name](i / (LUT_SIZE - 1))), i * 3);
  cache.set(name, lut);
  return lut;
}

/** LUT index of a value in [lo, hi]; -1 for NaN. */
export function lutIndex(value: number, lo: number, hi: number): number {
  if (Number.isNaN(value)) return -1;
  const t = hi > lo ? (value - lo) / (hi - lo) : 0.5;
  return Math.max(0, Math.min(LUT_SIZE - 1, Math.round(t * (LUT_SIZE - 1))));
}

export function cssColor(lut: Uint8Array, index: number): string {
  return `rgb(${lut[index * 3]},${lut[index * 3 + 1]},${lut[index * 3 + 2]})`;
}

/** Black or white, whichever reads better on the LUT colour. */
export function textColorOn(lut: Uint8Array, index: number): string {
  const luminance = 0.2126 * lut[index * 3] + 0.7152 * lut[index * 3 + 1] + 0.0722 * lut[index * 3 + 2];
  return luminance > 140 ? "#000" : "#fff";
}

/** A CSS linear gradient through the colormap, low to high (`direction` "to right" or "to top"). */
export function cssGradient(name: ColormapName, direction = "to right"): string {
  const lut = colormapLut(name);
  const stops = Array.from({ length: 11 }, (_, i) => cssColor(lut, Math.round((i * (LUT_SIZE - 1)) / 10)));
  return `linear-gradient(${direction}, ${stops.join(",")})`;
}
