import { describe, expect, it } from "vitest";
import { HOST_DARK_CLASS, hostBody } from "./themeSync";

describe("hostBody", () => {
  it("is null without a parent frame", () => {
    expect(hostBody(window)).toBeNull();
  });

  it("reads the same-origin parent's body (TensorBoard's)", () => {
    const frame = document.createElement("iframe");
    document.body.appendChild(frame);
    const child = frame.contentWindow!;
    document.body.classList.add(HOST_DARK_CLASS);
    expect(hostBody(child)?.classList.contains(HOST_DARK_CLASS)).toBe(true);
    document.body.classList.remove(HOST_DARK_CLASS);
    frame.remove();
  });

  it("is null for a parent it may not read", () => {
    const win = { get parent(): Window { throw new DOMException("cross-origin", "SecurityError"); } } as unknown as Window;
    expect(hostBody(win)).toBeNull();
  });
});
