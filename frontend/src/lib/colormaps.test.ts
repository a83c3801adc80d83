import { describe, expect, it } from "vitest";
import { COLORMAPS, LUT_SIZE, colormapLut, lutIndex, textColorOn } from "./colormaps";

describe("colormaps", () => {
  it("have LUT_SIZE RGB entries with the documented ends", () => {
    for (const name of COLORMAPS) expect(colormapLut(name).length).toBe(LUT_SIZE * 3);
    const v = colormapLut("viridis");
    expect(Array.from(v.slice(0, 3))).toEqual([0x44, 0x01, 0x54]);
    expect(Array.from(v.slice(-3))).toEqual([0xfd, 0xe7, 0x25]);
    const g = colormapLut("greys");
    expect(Array.from(g.slice(0, 3))).toEqual([255, 255, 255]);
    expect(Array.from(g.slice(-3))).toEqual([0, 0, 0]);
  });

  it("are matplotlib's viridis and magma tables and ColorBrewer's RdBu", () => {
    // Entries 0, 128 and 255 of matplotlib's 256-colour tables (viridis(0.5) = #21918c, magma(0.5) = #b73779).
    const at = (lut: Uint8Array, i: number) => Array.from(lut.slice(i * 3, i * 3 + 3));
    const v = colormapLut("viridis");
    expect([at(v, 0), at(v, 128), at(v, 255)]).toEqual([[0x44, 0x01, 0x54], [0x21, 0x91, 0x8c], [0xfd, 0xe7, 0x25]]);
    const m = colormapLut("magma");
    expect([at(m, 0), at(m, 128), at(m, 255)]).toEqual([[0x00, 0x00, 0x04], [0xb7, 0x37, 0x79], [0xfc, 0xfd, 0xbf]]);
    // RdBu's ends (#053061 blue, #67001f red); the grey in the middle is the B-spline through #f7f7f7.
    const d = colormapLut("diverging");
    expect([at(d, 0), at(d, 255)]).toEqual([[0x05, 0x30, 0x61], [0x67, 0x00, 0x1f]]);
    const g = colormapLut("greys");
    expect(at(g, 128)).toEqual([127, 127, 127]);
  });

  it("diverging map is white-ish in the middle, blue low, red high", () => {
    const d = colormapLut("diverging");
    const mid = lutIndex(0, -1, 1) * 3;
    expect(Math.min(d[mid], d[mid + 1], d[mid + 2])).toBeGreaterThan(235);
    expect(d[2]).toBeGreaterThan(d[0]);
    expect(d[LUT_SIZE * 3 - 3]).toBeGreaterThan(d[LUT_SIZE * 3 - 1]);
  });

  it("maps values to indices with clamping and NaN", () => {
    expect(lutIndex(0, 0, 10)).toBe(0);
    expect(lutIndex(10, 0, 10)).toBe(255);
    expect(lutIndex(5, 0, 10)).toBe(128);
    expect(lutIndex(-3, 0, 10)).toBe(0);
    expect(lutIndex(30, 0, 10)).toBe(255);
    expect(lutIndex(NaN, 0, 10)).toBe(-1);
    expect(lutIndex(4, 4, 4)).toBe(128);
  });

  it("picks readable text colours", () => {
    const v = colormapLut("viridis");
    expect(textColorOn(v, 0)).toBe("#fff");
    expect(textColorOn(v, 255)).toBe("#000");
  });
});
