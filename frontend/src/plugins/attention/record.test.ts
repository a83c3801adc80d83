import { describe, expect, it } from "vitest";
import type { WireRecord } from "../../lib/wire";
import { blockLabels, toAttentionMap, toGrid, toHeadStats, type MapMeta, type StatsMeta } from "./record";

const f32 = (shape: number[], values: number[]) => ({ dtype: "float32" as const, shape, data: new Float32Array(values) });

describe("attention records", () => {
  it("read a map with its region and strides", () => {
    const wire: WireRecord<MapMeta> = {
      meta: { q0: 2, q1: 6, k0: 0, k1: 3, stride_q: 2, stride_k: 1 },
      arrays: { weights: f32([2, 3], [0.1, 0.2, 0.7, 0.5, 0.5, 0]) },
    };
    const map = toAttentionMap(wire);
    expect({ ...map, values: Array.from(map.values) }).toEqual({
      q0: 2, q1: 6, k0: 0, k1: 3, strideQ: 2, strideK: 1, rows: 2, cols: 3,
      values: Array.from(new Float32Array([0.1, 0.2, 0.7, 0.5, 0.5, 0])),
    });
  });

  it("read head statistics by name, and the thumbnail grid", () => {
    const wire: WireRecord<StatsMeta> = {
      meta: { layers: 1, heads: 2, stats: ["entropy"] },
      arrays: {
        steps: { dtype: "int32", shape: [2], data: new Int32Array([0, 10]) },
        entropy: f32([2, 1, 2], [1, 2, 3, 4]),
      },
    };
    const stats = toHeadStats(wire);
    expect(stats.steps).toEqual([0, 10]);
    expect([stats.layers, stats.heads]).toEqual([1, 2]);
    expect(Array.from(stats.stats.entropy)).toEqual([1, 2, 3, 4]);
    const grid = toGrid({ meta: {}, arrays: { thumbs: f32([1, 2, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7]) } });
    expect(grid.shape).toEqual([1, 2, 2, 2]);
    expect(grid.values.length).toBe(8);
  });
});

describe("blockLabels", () => {
  const tokens = ["The", "cat", "sat", "on", "a"];
  it("names single tokens at stride 1", () => {
    expect(blockLabels(tokens, 1, 4, 1)).toEqual(["cat", "sat", "on"]);
  });
  it("names blocks first … last, the last block cut at the end", () => {
    expect(blockLabels(tokens, 0, 5, 2)).toEqual(["The … cat", "sat … on", "a"]);
  });
  it("falls back to the position without tokens", () => {
    expect(blockLabels([], 3, 5, 1)).toEqual(["3", "4"]);
  });
});
