import { act } from "react";
import { createRoot } from "react-dom/client";
import { describe, expect, it } from "vitest";
import { stateFor, useFetch } from "./useFetch";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

describe("stateFor", () => {
  it("returns data only for the key it was loaded for", () => {
    const settled = { key: "a", data: 1, error: null };
    expect(stateFor("a", settled)).toEqual({ data: 1, error: null, loading: false });
    expect(stateFor("b", settled)).toEqual({ data: null, error: null, loading: true });
    expect(stateFor(null, settled)).toEqual({ data: null, error: null, loading: false });
  });
});

describe("useFetch", () => {
  it("never shows the previous key's data while a new key loads, and ignores stale results", async () => {
    const pending = new Map<string, (v: string) => void>();
    const seen: string[] = [];
    function Probe({ k }: { k: string }) {
      const { data, loading } = useFetch(k, () => new Promise<string>((resolve) => pending.set(k, resolve)));
      seen.push(`${k}:${loading ? "loading" : data}`);
      return null;
    }
    const root = createRoot(document.createElement("div"));
    await act(async () => root.render(<Probe k="a" />));
    await act(async () => pending.get("a")!("A"));
    expect(seen.at(-1)).toBe("a:A");
    await act(async () => root.render(<Probe k="b" />));
    expect(seen.at(-1)).toBe("b:loading");
    await act(async () => pending.get("a")!("stale")); // aborted load: ignored
    expect(seen.at(-1)).toBe("b:loading");
    await act(async () => pending.get("b")!("B"));
    expect(seen.at(-1)).toBe("b:B");
    expect(seen.filter((s) => s.startsWith("b:A"))).toEqual([]);
    await act(async () => root.unmount());
  });
});
