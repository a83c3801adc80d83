import { describe, expect, it } from "vitest";
import { colSums, difference, maxAbs, normalize, rowSums } from "./confusion";

// rows = true class, columns = predicted
const m = [5, 1, 0, 2, 6, 2, 0, 0, 0];

describe("confusion math", () => {
  it("sums rows and columns", () => {
    expect(Array.from(rowSums(m, 3))).toEqual([6, 10, 0]);
    expect(Array.from(colSums(m, 3))).toEqual([7, 7, 2]);
  });

  it("row normalization gives recall on the diagonal; empty rows stay 0", () => {
    const r = normalize(m, 3, "row");
    expect(r[0]).toBeCloseTo(5 / 6);
    expect(r[4]).toBeCloseTo(0.6);
    expect(r[0] + r[1] + r[2]).toBeCloseTo(1);
    expect(Array.from(r).slice(6)).toEqual([0, 0, 0]);
  });

  it("column normalization gives precision on the diagonal", () => {
    const c = normalize(m, 3, "col");
    expect(c[0]).toBeCloseTo(5 / 7);
    expect(c[4]).toBeCloseTo(6 / 7);
    expect(c[8]).toBe(0);
    expect(c[2] + c[5] + c[8]).toBeCloseTo(1);
  });

  it("raw is the matrix itself", () => {
    expect(normalize(m, 3, "raw")).toBe(m);
  });

  it("differences and their symmetric bound", () => {
    const d = difference([1, 2, 3, 4], [2, 2, 0, 4]);
    expect(Array.from(d)).toEqual([-1, 0, 3, 0]);
    expect(maxAbs(d)).toBe(3);
    expect(maxAbs([0, 0])).toBeGreaterThan(0);
    expect(() => difference([1], [1, 2])).toThrow();
  });
});
