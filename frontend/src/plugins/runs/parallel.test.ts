import { describe, expect, it } from "vitest";
import { inBrush, makeAxis, position, varyingKeys } from "./parallel";

describe("parallel coordinates axes", () => {
  it("maps numbers linearly and categories evenly", () => {
    const lr = makeAxis("lr", "lr", [0.1, 0.3, 0.2]);
    expect(lr.numeric).toBe(true);
    expect(position(lr, 0.1)).toBe(0);
    expect(position(lr, 0.3)).toBe(1);
    expect(position(lr, 0.2)).toBeCloseTo(0.5, 12);
    const opt = makeAxis("opt", "opt", ["sgd", "adam", "sgd", null]);
    expect(opt.categories).toEqual(["adam", "sgd"]);
    expect(position(opt, "sgd")).toBe(1);
    expect(position(opt, undefined)).toBeNaN();
  });
  it("brushes an interval either way round; missing values are outside", () => {
    const lr = makeAxis("lr", "lr", [0, 10]);
    expect(inBrush(lr, 3, [0.5, 0.2])).toBe(true);
    expect(inBrush(lr, 6, [0.2, 0.5])).toBe(false);
    expect(inBrush(lr, null, [0, 1])).toBe(false);
  });
  it("keeps only keys that vary", () => {
    const rows = [{ config: { a: 1, b: "x" } }, { config: { a: 2, b: "x" } }];
    expect(varyingKeys(rows, ["a", "b"])).toEqual(["a"]);
  });
});
