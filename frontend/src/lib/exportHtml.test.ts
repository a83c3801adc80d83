import { describe, expect, it } from "vitest";
import { exactly } from "./ExportHtmlButton";

describe("exactly", () => {
  it("matches only the names given, their regex characters escaped", () => {
    const names = ["run.a", "lr=0.1 (x)", "a|b", "[c]"];
    const pattern = new RegExp(exactly(names));
    for (const name of names) expect(pattern.test(name)).toBe(true);
    for (const other of ["runXa", "a", "b", "c", "run.a2", "xlr=0.1 (x)"]) expect(pattern.test(other)).toBe(false);
  });
});
