import { describe, expect, it } from "vitest";
import type { WireRecord } from "../../lib/wire";
import { toSlice, type SliceMeta } from "./record";

describe("landscape records", () => {
  it("keep the meta and every array by name", () => {
    const wire: WireRecord<SliceMeta> = {
      meta: { type: "plane", min: 0.5, max: 2, center_loss: 1 },
      arrays: {
        x: { dtype: "float32", shape: [2], data: new Float32Array([-1, 1]) },
        loss: { dtype: "float32", shape: [2, 2], data: new Float32Array([1, 2, 0.5, 1]) },
      },
    };
    const slice = toSlice(wire);
    expect(slice.meta).toEqual(wire.meta);
    expect(Object.keys(slice.arrays).sort()).toEqual(["loss", "x"]);
    expect(Array.from(slice.arrays.loss)).toEqual([1, 2, 0.5, 1]);
  });
});
