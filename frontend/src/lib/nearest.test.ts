import { describe, expect, it } from "vitest";
import { nearestIndex } from "./nearest";

describe("nearestIndex", () => {
  it("finds the closest x in an ascending array", () => {
    const xs = [0, 0.1, 0.5, 0.5, 1];
    expect(nearestIndex(xs, -1)).toBe(0);
    expect(nearestIndex(xs, 0.04)).toBe(0);
    expect(nearestIndex(xs, 0.06)).toBe(1);
    expect(nearestIndex(xs, 0.8)).toBe(4);
    expect(nearestIndex(xs, 5)).toBe(4);
    expect(nearestIndex([0.3], 0)).toBe(0);
  });
});
