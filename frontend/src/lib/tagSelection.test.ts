import { describe, expect, it } from "vitest";
import { mostSharedTag, pickOr, recordSpecs, runStepsOf, runsOf, stepFor, stepsOf, tagsOf } from "./tagSelection";

const tags = {
  b: { val: { steps: [10, 0], meta: {} } },
  a: { val: { steps: [0, 5], meta: {} }, test: { steps: [1], meta: {} } },
};

describe("tag selection", () => {
  it("derives sorted runs, tags and the union of steps", () => {
    expect(runsOf(tags)).toEqual(["a", "b"]);
    expect(runsOf(null)).toEqual([]);
    expect(tagsOf(tags, ["b"])).toEqual(["val"]);
    expect(tagsOf(tags, ["a", "b"])).toEqual(["test", "val"]);
    expect(mostSharedTag(tags, ["a", "b"])).toBe("val");
    expect(mostSharedTag(tags, ["a"])).toBe("test");
    expect(mostSharedTag(tags, [])).toBeUndefined();
    expect(stepsOf(tags, ["a", "b"], "val")).toEqual([0, 5, 10]);
    expect(runStepsOf(tags, "b", "val")).toEqual([0, 10]);
    expect(runStepsOf(tags, "b", "test")).toEqual([]);
  });

  it("maps the selected step to each run's latest step not after it", () => {
    expect(stepFor([0, 10], 5)).toBe(0);
    expect(stepFor([0, 10], 10)).toBe(10);
    expect(stepFor([3, 10], 1)).toBe(3);
  });

  it("gives each run its own step for the selected one, leaving out runs without the tag", () => {
    expect(recordSpecs(tags, ["a", "b"], "val", 7)).toEqual([
      { run: "a", step: 5 },
      { run: "b", step: 0 },
    ]);
    expect(recordSpecs(tags, ["a", "b"], "test", 0)).toEqual([{ run: "a", step: 1 }]);
  });

  it("keeps a picked value only while it is an option", () => {
    expect(pickOr(["x", "y"], "y", "x")).toBe("y");
    expect(pickOr(["x", "y"], "z", "x")).toBe("x");
    expect(pickOr([1, 2], null, 2)).toBe(2);
    expect(pickOr<number>([], null, undefined)).toBeUndefined();
  });
});
