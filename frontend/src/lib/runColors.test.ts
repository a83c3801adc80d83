import { describe, expect, it } from "vitest";
import { TENSORBOARD_PALETTE, colorsFromOrder, paletteColor } from "./runColors";
import { runColor, runColors } from "./theme";

describe("run colours", () => {
  it("follow TensorBoard's run list order, cycling its 7 colours", () => {
    const order = ["zeta", "alpha", "mid", "r3", "r4", "r5", "r6", "r7"];
    const colors = colorsFromOrder(["alpha", "mid", "zeta", "r7"], order);
    expect(colors.get("zeta")).toBe("#425066");
    expect(colors.get("alpha")).toBe("#12b5cb");
    expect(colors.get("mid")).toBe("#e52592");
    expect(colors.get("r7")).toBe("#425066"); // id 7 wraps to the first
  });

  it("are the same whatever subset or ordering of runs a tab shows", () => {
    const order = ["b", "a", "c"];
    expect(colorsFromOrder(["c"], order).get("c")).toBe(colorsFromOrder(["a", "b", "c"], order).get("c"));
    expect(colorsFromOrder(["c", "a"], order).get("a")).toBe(colorsFromOrder(["a"], order).get("a"));
  });

  it("put runs the list lacks after it, by name; without a list, name order", () => {
    const colors = colorsFromOrder(["new2", "new1", "x"], ["x"]);
    expect(colors.get("x")).toBe(paletteColor(0));
    expect(colors.get("new1")).toBe(paletteColor(1));
    expect(colors.get("new2")).toBe(paletteColor(2));
    expect(runColors(["b", "a"]).get("a")).toBe(paletteColor(0));
  });

  it("use the dark variant in the dark theme", () => {
    expect(colorsFromOrder(["a"], ["a"], true).get("a")).toBe(TENSORBOARD_PALETTE[0][1]);
    expect(paletteColor(1, true)).toBe("#12b5cb");
    expect(runColor(new Map(), "unknown")).toBe("#425066");
  });
});
