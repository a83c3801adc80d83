import { describe, expect, it } from "vitest";
import { compareMetric } from "./ClassTable";
import { chosenClasses } from "./ClassSelector";
import { ascending } from "./curves";

describe("predictions helpers", () => {
  it("chooses curve classes", () => {
    expect(chosenClasses({ kind: "first" }, 4)).toEqual([0, 1, 2, 3]);
    expect(chosenClasses({ kind: "first" }, 1000)).toHaveLength(10);
    expect(chosenClasses({ kind: "all" }, 12)).toHaveLength(12);
    expect(chosenClasses({ kind: "pick", classes: [3, 50] }, 10)).toEqual([3]);
  });

  it("sorts NaN metrics last in both directions", () => {
    const values = [0.5, NaN, 0.9, 0.1];
    expect([...values].sort((a, b) => compareMetric(a, b, 1))).toEqual([0.1, 0.5, 0.9, NaN]);
    expect([...values].sort((a, b) => compareMetric(a, b, -1))).toEqual([0.9, 0.5, 0.1, NaN]);
  });

  it("turns descending curves ascending", () => {
    const c = ascending({ x: new Float32Array([1, 0.5, 0]), y: new Float32Array([0.2, 0.6, 1]) });
    expect(Array.from(c.x)).toEqual([0, 0.5, 1]);
    expect(Array.from(c.y)).toEqual([1, 0.6000000238418579, 0.20000000298023224]);
  });
});
