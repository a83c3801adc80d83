import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, getJson, routeUrl } from "./api";

afterEach(() => vi.unstubAllGlobals());

describe("api", () => {
  it("builds relative URLs with encoded parameters", () => {
    expect(routeUrl("tags")).toBe("./tags");
    expect(routeUrl("record", { run: "a b/c", tag: "x&y", step: 3 })).toBe("./record?run=a+b%2Fc&tag=x%26y&step=3");
  });

  it("surfaces the server's {error} message", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => new Response(JSON.stringify({ error: "unknown run 'z'" }), { status: 404 })));
    const err = (await getJson("record", { run: "z" }).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.message).toBe("unknown run 'z'");
    expect(err.status).toBe(404);
  });

  it("falls back to the status when the error body is not JSON", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => new Response("oops", { status: 500, statusText: "Internal" })));
    await expect(getJson("tags")).rejects.toThrow("tags: HTTP 500 Internal");
  });

  it("reports network failures as ApiError", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))));
    await expect(getJson("tags")).rejects.toThrow(/network error/);
  });
});
