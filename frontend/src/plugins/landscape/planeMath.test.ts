import { describe, expect, it } from "vitest";
import { gridPos, logShift, nearestCell, parseLevels, range, scaled, sharedRange, thresholds, unscaled } from "./planeMath";

describe("landscape controls", () => {
  it("accepts a levels count only once it is one, without clamping what is typed", () => {
    expect(parseLevels("")).toBeNull();
    expect(parseLevels("1")).toBeNull(); // on the way to 15
    expect(parseLevels("15")).toBe(15);
    expect(parseLevels("5")).toBe(5);
    expect(parseLevels("61")).toBeNull();
    expect(parseLevels("2.5")).toBeNull();
  });

  it("shares one range across planes, ignoring non-finite losses", () => {
    expect(sharedRange([[0.5, 1.05], [2, 10.96, NaN]])).toEqual([0.5, 10.96]);
    expect(sharedRange([[NaN]])).toEqual([0, 1]);
  });
});

describe("plane scales and geometry", () => {
  it("log-scales positive losses as log10, unscaled back", () => {
    const v = scaled([1, 10, 100], true);
    expect(Array.from(v)).toEqual([0, 1, 2]);
    expect(logShift([1, 10, 100])).toBe(0);
    expect(unscaled(2, true, 0)).toBeCloseTo(100, 10);
    expect(Array.from(scaled([3, 4], false))).toEqual([3, 4]);
    expect(unscaled(3, false, 7)).toBe(3);
  });

  it("shifts losses <= 0 just above zero before log10, and undoes the shift", () => {
    const losses = [-2, 0, 8];
    const shift = logShift(losses);
    // -min plus a millionth of the spread: the lowest loss maps to log10(1e-5).
    expect(shift).toBeCloseTo(2 + 10 * 1e-6, 12);
    const v = scaled(losses, true);
    expect(v[0]).toBeCloseTo(Math.log10(1e-5), 9);
    losses.forEach((loss, i) => expect(unscaled(v[i], true, shift)).toBeCloseTo(loss, 9));
  });

  it("finds the finite range and spaces contour levels strictly inside it", () => {
    expect(range([3, NaN, -1, Infinity, 2])).toEqual([-1, 3]);
    expect(range([])).toEqual([0, 1]);
    expect(thresholds(0, 1, 3)).toEqual([0.25, 0.5, 0.75]);
    expect(thresholds(0, 10, 0.5)).toEqual([5]);
  });

  it("maps plane coordinates to grid positions with cell centres at index + 0.5", () => {
    const axis = [-1, -0.5, 0, 0.5, 1];
    expect(gridPos(axis, -1)).toBe(0.5);
    expect(gridPos(axis, 1)).toBe(4.5);
    expect(gridPos(axis, 0.25)).toBe(3);
    expect(gridPos([2], 5)).toBe(0.5);
    expect(nearestCell(3, 5)).toBe(3);
    expect(nearestCell(4.9, 5)).toBe(4);
    expect(nearestCell(-0.2, 5)).toBe(0);
    expect(nearestCell(7, 5)).toBe(4);
  });
});
