import { describe, expect, it } from "vitest";
import { colorScale, debiasedEma, groupBand, xValues } from "./curveMath";

describe("debiasedEma", () => {
  it("matches an independent float64 oracle of TensorBoard's formula", () => {
    const values = [1, 3, 2, NaN, 5, 4];
    const w = 0.6;
    const expected: number[] = [];
    let acc = 0;
    let n = 0;
    for (const v of values) {
      if (Number.isNaN(v)) {
        expected.push(NaN);
        continue;
      }
      n += 1;
      acc = w * acc + (1 - w) * v;
      expected.push(acc / (1 - w ** n));
    }
    const got = Array.from(debiasedEma(values, w));
    got.forEach((g, i) => (Number.isNaN(expected[i]) ? expect(g).toBeNaN() : expect(g).toBeCloseTo(expected[i], 12)));
    expect(got[0]).toBe(1); // debiased: the first point is itself
    expect(Array.from(debiasedEma([1, 2], 0))).toEqual([1, 2]);
  });
});

describe("curve helpers", () => {
  it("relative time starts at 0", () => {
    expect(Array.from(xValues("relative", new Float64Array([0, 1]), new Float64Array([100, 103.5])))).toEqual([0, 3.5]);
  });
  it("colours numbers continuously and strings by category", () => {
    const numeric = colorScale([0.1, 0.01, 0.001]);
    expect(numeric.continuous).toBe(true);
    expect(numeric.color(0.1)).not.toBe(numeric.color(0.001));
    const cat = colorScale(["adam", "sgd", "adam"]);
    expect(cat.continuous).toBe(false);
    expect(cat.legend.map((l) => l.label)).toEqual(["adam", "sgd"]);
    expect(cat.color("adam")).toBe(cat.legend[0].color);
  });
  it("group band at common steps", () => {
    const band = groupBand([
      { step: [0, 1, 2], value: [1, 2, 3] },
      { step: [1, 2], value: [4, 5] },
    ]);
    expect(Array.from(band!.steps)).toEqual([1, 2]);
    expect(Array.from(band!.mean)).toEqual([3, 4]);
    expect(Array.from(band!.lo)).toEqual([2, 3]);
    expect(Array.from(band!.hi)).toEqual([4, 5]);
    // sample std of {2, 4} and {3, 5}: sqrt(2)
    band!.std.forEach((v) => expect(v).toBeCloseTo(Math.SQRT2, 12));
  });
});
