import { act } from "react";
import { createRoot } from "react-dom/client";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { useLiveTags } from "./useLiveTags";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let hidden = false;
const fetchMock = vi.fn(async () => new Response(JSON.stringify({ run: { tag: { steps: [0], meta: {} } } })));

function Probe() {
  const { tags } = useLiveTags(2000);
  return <span>{tags ? Object.keys(tags).join(",") : "…"}</span>;
}

function setHidden(value: boolean) {
  hidden = value;
  document.dispatchEvent(new Event("visibilitychange"));
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.stubGlobal("fetch", fetchMock);
  fetchMock.mockClear();
  Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
  hidden = false;
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("useLiveTags", () => {
  it("polls while visible, stops while hidden, refetches on becoming visible", async () => {
    const host = document.createElement("div");
    const root = createRoot(host);
    await act(async () => root.render(<Probe />));
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(host.textContent).toBe("run");

    await act(async () => vi.advanceTimersByTime(4100));
    expect(fetchMock).toHaveBeenCalledTimes(3);

    await act(async () => setHidden(true));
    await act(async () => vi.advanceTimersByTime(10000));
    expect(fetchMock).toHaveBeenCalledTimes(3);

    await act(async () => setHidden(false));
    expect(fetchMock).toHaveBeenCalledTimes(4);
    await act(async () => vi.advanceTimersByTime(2000));
    expect(fetchMock).toHaveBeenCalledTimes(5);

    await act(async () => root.unmount());
    await act(async () => vi.advanceTimersByTime(10000));
    expect(fetchMock).toHaveBeenCalledTimes(5);
  });
});
