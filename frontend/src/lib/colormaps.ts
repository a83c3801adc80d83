/** Colormaps as 256-entry RGB lookup tables, interpolated linearly between evenly spaced stops. */

export type ColormapName = "viridis" | "magma" | "diverging" | "greys";

const STOPS: Record<ColormapName, string[]> = {
  viridis: ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725"],
  magma: ["#000004", "#180f3d", "#440f76", "#721f81", "#9e2f7f", "#cd4071", "#f1605d", "#fd9668", "#feca8d", "#fcfdbf"],
  diverging: ["#053061", "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7", "#fddbc7", "#f4a582", "#d6604d", "#b2182b", "#67001f"],
  greys: ["#ffffff", "#000000"],
};

export const COLORMAPS = Object.keys(STOPS) as ColormapName[];
export const LUT_SIZE = 256;

function hexToRgb(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

const cache = new Map<ColormapName, Uint8Array>();

/** RGB triples, `LUT_SIZE * 3` bytes. */
export function colormapLut(name: ColormapName): Uint8Array {
  const cached = cache.get(name);
  if (cached) return cached;
  const stops = STOPS[name].map(hexToRgb);
  const lut = new Uint8Array(LUT_SIZE * 3);
  for (let i = 0; i < LUT_SIZE; i++) {
    const pos = (i / (LUT_SIZE - 1)) * (stops.length - 1);
    const k = Math.min(Math.floor(pos), stops.length - 2);
    const f = pos - k;
    for (let ch = 0; ch < 3; ch++) {
      lut[i * 3 + ch] = Math.round(stops[k][ch] * (1 - f) + stops[k + 1][ch] * f);
    }
  }
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
