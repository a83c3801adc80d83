import { act } from "react";
import { createRoot } from "react-dom/client";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { pageHidden, useLiveTags } from "./useLiveTags";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let hidden = false;
const tagsBody = (steps: number[]) => JSON.stringify({ run: { tag: { steps, meta: {} } } });
const fetchMock = vi.fn(async (_url?: unknown) => new Response(tagsBody([0])));

function Probe() {
  const { tags, hidden } = useLiveTags(2000);
  const tag = tags?.run?.tag as { steps: number[] } | undefined;
  return (
    <span>
      {tags ? Object.keys(tags).join(",") : "…"}:{tag ? tag.steps.join(",") : ""}:{hidden ? "hidden" : "shown"}
    </span>
  );
}

function setHidden(value: boolean) {
  hidden = value;
  document.dispatchEvent(new Event("visibilitychange"));
}

const innerHeight = window.innerHeight;

beforeEach(() => {
  vi.useFakeTimers();
  vi.stubGlobal("fetch", fetchMock);
  fetchMock.mockReset();
  fetchMock.mockImplementation(async () => new Response(tagsBody([0])));
  Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
  Object.defineProperty(document, "visibilityState", { configurable: true, get: () => (hidden ? "hidden" : "visible") });
  hidden = false;
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  Object.defineProperty(window, "innerHeight", { configurable: true, writable: true, value: innerHeight });
});

async function mount() {
  const host = document.createElement("div");
  const root = createRoot(host);
  await act(async () => root.render(<Probe />));
  return { host, root };
}

describe("pageHidden", () => {
  it("is true for document.hidden and for a 0 px tall iframe (TensorBoard's inactive tabs)", () => {
    expect(pageHidden()).toBe(false);
    hidden = true;
    expect(pageHidden()).toBe(true);
    hidden = false;
    Object.defineProperty(window, "innerHeight", { configurable: true, writable: true, value: 0 });
    expect(pageHidden()).toBe(true);
  });
});

describe("useLiveTags", () => {
  it("polls while visible, stops while hidden, refetches on becoming visible", async () => {
    const { host, root } = await mount();
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(host.textContent).toBe("run:0:shown");

    await act(async () => vi.advanceTimersByTime(4100));
    expect(fetchMock).toHaveBeenCalledTimes(3);

    await act(async () => setHidden(true));
    expect(host.textContent).toBe("run:0:hidden");
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

  it("stops polling in an iframe hidden by styles (innerHeight 0), re-evaluated on resize", async () => {
    const { host, root } = await mount();
    expect(fetchMock).toHaveBeenCalledTimes(1);
    await act(async () => {
      Object.defineProperty(window, "innerHeight", { configurable: true, writable: true, value: 0 });
      window.dispatchEvent(new Event("resize"));
    });
    expect(host.textContent).toBe("run:0:hidden");
    await act(async () => vi.advanceTimersByTime(10000));
    expect(fetchMock).toHaveBeenCalledTimes(1);
    await act(async () => {
      Object.defineProperty(window, "innerHeight", { configurable: true, writable: true, value: 600 });
      window.dispatchEvent(new Event("resize"));
    });
    expect(host.textContent).toBe("run:0:shown");
    expect(fetchMock).toHaveBeenCalledTimes(2);
    await act(async () => root.unmount());
  });

  it("applies only the latest response when responses arrive out of order", async () => {
    const resolvers: ((r: Response) => void)[] = [];
    fetchMock.mockImplementation(() => new Promise<Response>((resolve) => resolvers.push(resolve)));
    const { host, root } = await mount();
    await act(async () => vi.advanceTimersByTime(2000)); // a second request in flight
    expect(resolvers).toHaveLength(2);
    await act(async () => resolvers[1](new Response(tagsBody([0, 1]))));
    expect(host.textContent).toBe("run:0,1:shown");
    await act(async () => resolvers[0](new Response(tagsBody([0])))); // stale: ignored
    expect(host.textContent).toBe("run:0,1:shown");
    await act(async () => root.unmount());
  });
});
