import { describe, expect, it } from "vitest";
import { colSums, difference, groupedOrder, hideDiagonal, logValues, matchClasses, maxAbs, normalize, rowSums, submatrix, topConfusions } from "./confusion";

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


describe("large class counts", () => {
  // 4 classes: 0 and 2 are confused with each other, 1 and 3 a little.
  const M = [
    10, 0, 6, 0,
    0, 9, 0, 1,
    5, 0, 8, 0,
    0, 2, 0, 7,
  ];

  it("lists the largest confusions with their share of the true class", () => {
    const top = topConfusions(M, 4, 3);
    expect(top.map((t) => [t.row, t.col, t.count])).toEqual([[0, 2, 6], [2, 0, 5], [3, 1, 2]]);
    expect(top[0].rate).toBeCloseTo(6 / 16);
  });

  it("orders classes so that confused ones are neighbours", () => {
    const order = groupedOrder(M, 4);
    expect(order.slice().sort()).toEqual([0, 1, 2, 3]);
    const pos = (c: number) => order.indexOf(c);
    expect(Math.abs(pos(0) - pos(2))).toBe(1);
    expect(Math.abs(pos(1) - pos(3))).toBe(1);
  });

  it("takes submatrices in a class order and hides the diagonal", () => {
    const sub = submatrix(M, 4, [2, 0]);
    expect(Array.from(sub)).toEqual([8, 5, 6, 10]);
    const hidden = hideDiagonal(sub, [2, 0]);
    expect(Number.isNaN(hidden[0]) && Number.isNaN(hidden[3])).toBe(true);
    expect(hidden[1]).toBe(5);
  });

  it("log scales counts as log10(1 + count)", () => {
    const { values, offset } = logValues([0, 9, 99], true);
    expect(offset).toBe(1);
    expect(Array.from(values)).toEqual([0, 1, 2]);
    expect(logValues([0, 0.2, 0.4], false).offset).toBeCloseTo(0.1);
  });

  it("searches classes by regex or text", () => {
    const names = ["cat", "dog", "catfish", "a(b"];
    expect(matchClasses(names, "^cat")).toEqual([0, 2]);
    expect(matchClasses(names, "A(")).toEqual([3]);
    expect(matchClasses(names, "")).toEqual([0, 1, 2, 3]);
  });
});
