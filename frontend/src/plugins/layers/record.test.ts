import { describe, expect, it } from "vitest";
import { anyDrawable, binCenters, decodeFlags, finiteValues, flipRows, gridShape, layerSeverity, log10Values, logTicks, positiveExtent, toLayersRecord, type LayersMeta } from "./record";
import type { WireRecord } from "../../lib/wire";

describe("layers record", () => {
  it("reads stats rows by name and leaves missing ones NaN", () => {
    const meta = { layers: ["a", "b"], types: ["Linear", "ReLU"], bins: 2, stats: ["x", "y"], diagnosis_kinds: ["dead"], first_nonfinite: null } as LayersMeta;
    const wire = { meta, arrays: { stats: { dtype: "float32", shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) } } } as unknown as WireRecord<LayersMeta>;
    const r = toLayersRecord(wire);
    expect(Array.from(r.stat("y"))).toEqual([3, 4]);
    expect(Array.from(r.stat("z")).every(Number.isNaN)).toBe(true);
    expect(Array.from(r.hist("gradients")).every(Number.isNaN)).toBe(true);
    expect(r.flags).toEqual([]);
  });
  it("decodes flag rows, dropping unknown codes and layers", () => {
    const rows = [0, 1, 0.9, 0.5, 3, 0, 1, 1, 0, 7, 0.9, 0.5];
    expect(decodeFlags(rows, ["dead", "vanishing", "update_ratio", "exploding"], 2)).toEqual([
      { kind: "dead", severity: 1, layer: 1 },
      { kind: "exploding", severity: 3, layer: 0 },
    ]);
  });
  it("log10 drops non-positive values, flipRows reverses rows", () => {
    expect(Array.from(log10Values([100, 0, -1, 0.001, Infinity]))).toEqual([2, NaN, NaN, -3, NaN]);
    expect(Array.from(finiteValues([1, Infinity, -Infinity, NaN]))).toEqual([1, NaN, NaN, NaN]);
    expect(anyDrawable([[NaN, 0]], true)).toBe(false);
    expect(anyDrawable([[NaN, 0]], false)).toBe(true);
    expect(Array.from(flipRows([1, 2, 3, 4, 5, 6], 3, 2))).toEqual([5, 6, 3, 4, 1, 2]);
  });
  it("log ticks, extents, bins and grids", () => {
    expect(logTicks(3e-4, 20)).toEqual([1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100]);
    expect(logTicks(1e-12, 1, 4)).toEqual([1e-12, 1e-8, 1e-4, 1]);
    expect(positiveExtent([[0, 2, NaN], [5, -1]], [1e-3])).toEqual([1e-3, 5]);
    expect(positiveExtent([[0, NaN]])).toBeNull();
    expect(binCenters(0, 4, 4)).toEqual([0.5, 1.5, 2.5, 3.5]);
    expect(binCenters(2, 2, 2)).toEqual([1.75, 2.25]);
    expect(gridShape(10)).toEqual([4, 3]);
    expect(gridShape(1)).toEqual([1, 1]);
  });
  it("keeps the most severe flag per layer", () => {
    const d = (layer: number, severity: number) => ({ layer, severity }) as never;
    expect(layerSeverity([d(0, 1), d(0, 3), d(2, 2)])).toEqual(new Map([[0, 3], [2, 2]]));
  });
});
