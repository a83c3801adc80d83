import { describe, expect, it } from "vitest";
import { placeNear } from "./Popover";

describe("placeNear", () => {
  const view = [900, 900] as const;
  it("goes below the anchor when it fits", () => {
    expect(placeNear({ left: 100, top: 100, right: 130, bottom: 120 }, 300, 200, ...view)).toEqual({ left: 100, top: 126 });
  });
  it("goes above an anchor near the bottom of the window", () => {
    const p = placeNear({ left: 100, top: 840, right: 130, bottom: 860 }, 300, 200, ...view);
    expect(p.top).toBe(840 - 6 - 200);
  });
  it("stays inside the window on the right and when taller than the room", () => {
    const p = placeNear({ left: 850, top: 10, right: 880, bottom: 30 }, 300, 2000, ...view);
    expect(p.left).toBe(900 - 8 - 300);
    expect(p.top).toBe(8);
  });
});
