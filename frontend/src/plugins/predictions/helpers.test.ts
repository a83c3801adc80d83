import { describe, expect, it } from "vitest";
import { compareMetric } from "./ClassTable";
import { chosenClasses } from "./ClassSelector";

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
});
