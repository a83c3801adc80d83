import { describe, expect, it } from "vitest";
import { parseLevels, sharedRange } from "./planeMath";

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
