import { describe, expect, it } from "vitest";
import { metricPosition, metricValue, visibleText, type TokensRecord } from "./record";

function record(vocab: [number, string][] | null, extra: Partial<TokensRecord> = {}): TokensRecord {
  return {
    meta: { vocab_size: 100 } as TokensRecord["meta"],
    text: vocab ? new Map(vocab) : null,
    special: new Set(),
    ...extra,
  } as TokensRecord;
}

describe("visibleText", () => {
  it("shows leading spaces, newlines, tabs and control characters", () => {
    const r = record([[1, " the"], [2, "\n"], [3, "a\tb"], [4, ""], [5, "\u0001"], [-1, "To"]]);
    expect(visibleText(r, 1)).toBe("␣the");
    expect(visibleText(r, 2)).toBe("↵");
    expect(visibleText(r, 3)).toBe("a→b");
    expect(visibleText(r, 4)).toBe("∅");
    expect(visibleText(r, 5)).toBe("␁");
    expect(visibleText(r, -1)).toBe("To");
  });
  it("shows ids without a tokenizer", () => {
    expect(visibleText(record(null), 42)).toBe("#42");
  });
});

describe("metrics", () => {
  const r = record(null, { loss: new Float32Array([Math.log(2), NaN]), rank: new Int32Array([3, 0]), entropy: new Float32Array([1, 2]) });
  it("derives the target probability from the loss and hides missing ranks", () => {
    expect(metricValue(r, "target_prob", 0)).toBeCloseTo(0.5);
    expect(metricValue(r, "rank", 1)).toBeNaN();
    expect(metricValue(r, "loss", 1)).toBeNaN();
  });
  it("maps confident, right predictions to the top of the scale", () => {
    expect(metricPosition(r, "rank", 1)).toBe(1);
    expect(metricPosition(r, "entropy", 0)).toBe(1);
    expect(metricPosition(r, "loss", 100)).toBe(0);
  });
});
