import { describe, expect, it } from "vitest";
import { PromiseCache, cachedLoader } from "./promiseCache";

describe("PromiseCache", () => {
  it("shares loads by key and drops the oldest beyond capacity", async () => {
    const cache = new PromiseCache(2);
    let loads = 0;
    const load = (v: number) => () => (loads++, Promise.resolve(v));
    expect(await cache.get("a", load(1))).toBe(1);
    expect(await cache.get("a", load(9))).toBe(1);
    await cache.get("b", load(2));
    await cache.get("a", load(9)); // a hit does not refresh "a" without lru
    await cache.get("c", load(3)); // drops "a"
    expect(await cache.get("a", load(4))).toBe(4);
    expect(loads).toBe(4);
  });

  it("with lru, drops the least recently used", async () => {
    const cache = new PromiseCache(2, { lru: true });
    await cache.get("a", () => Promise.resolve(1));
    await cache.get("b", () => Promise.resolve(2));
    await cache.get("a", () => Promise.resolve(9)); // refreshes "a"
    await cache.get("c", () => Promise.resolve(3)); // drops "b"
    expect(await cache.get("a", () => Promise.resolve(9))).toBe(1);
    expect(await cache.get("b", () => Promise.resolve(5))).toBe(5);
  });

  it("forgets failed loads", async () => {
    const cache = new PromiseCache(4);
    await expect(cache.get("a", () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await cache.get("a", () => Promise.resolve(1))).toBe(1);
  });

  it("a failed load that was evicted leaves the key's newer entry alone", async () => {
    const cache = new PromiseCache(1);
    let reject!: (e: Error) => void;
    const failing = cache.get("a", () => new Promise<number>((_, r) => (reject = r)));
    await cache.get("b", () => Promise.resolve(2)); // evicts the first "a"
    let loads = 0;
    const newer = cache.get("a", () => (loads++, Promise.resolve(1)));
    reject(new Error("boom"));
    await expect(failing).rejects.toThrow("boom");
    expect(await cache.get("a", () => (loads++, Promise.resolve(9)))).toBe(1);
    expect(await newer).toBe(1);
    expect(loads).toBe(1);
  });

  it("cachedLoader keys by the arguments and the generation, which it does not pass on", async () => {
    const calls: unknown[][] = [];
    const load = cachedLoader(async (run: string, step: number) => (calls.push([run, step]), `${run}@${step}`), 8);
    expect(await load("a", 1, 0)).toBe("a@1");
    expect(await load("a", 1, 0)).toBe("a@1");
    expect(await load("a", 2, 0)).toBe("a@2");
    expect(await load("a", 1, 1)).toBe("a@1"); // a reload refetches
    expect(calls).toEqual([["a", 1], ["a", 2], ["a", 1]]);
  });
});
