import { describe, expect, it } from "vitest";
import { formatFixed, formatMetric, formatMs, formatNumber, formatPercent, formatValue } from "./format";

/** Independent oracle: the value rounded to `digits` significant digits in float64. */
function roundSig(v: number, digits: number): number {
  if (v === 0) return 0;
  const e = Math.floor(Math.log10(Math.abs(v)));
  const scale = 10 ** (digits - 1 - e);
  return Math.round(v * scale) / scale;
}

describe("formatNumber", () => {
  it("keeps 3 significant digits at every magnitude from 1e-12 to 1e12, both signs", () => {
    for (let e = -12; e <= 12; e++) {
      for (const m of [1, 1.35, 2.5, 4.2, 9.87]) {
        for (const sign of [1, -1]) {
          const v = sign * m * 10 ** e;
          const text = formatNumber(v);
          const back = Number(text);
          expect(Number.isFinite(back), `${v} -> ${text}`).toBe(true);
          // Never reads as zero, and within half a unit of the third significant digit.
          expect(back).not.toBe(0);
          expect(Math.abs(back - roundSig(v, 3)) / Math.abs(v), `${v} -> ${text}`).toBeLessThan(1e-9 + 0.005);
          expect(text.length, `${v} -> ${text}`).toBeLessThanOrEqual(9);
          expect(text.startsWith("-")).toBe(sign < 0);
        }
      }
    }
  });

  it("writes the values of issue 8 (head statistics) as themselves", () => {
    expect(formatNumber(0.001)).toBe("0.001");
    expect(formatNumber(0.0042)).toBe("0.0042");
    expect(formatNumber(0.00499)).toBe("0.00499");
    expect(formatNumber(1.35e-4)).toBe("1.35e-4");
    expect(formatNumber(0.000999)).toBe("9.99e-4");
  });

  it("uses fixed point in [1e-3, 1e6), exponents outside", () => {
    expect(formatNumber(0.5)).toBe("0.5");
    expect(formatNumber(1 / 3)).toBe("0.333");
    expect(formatNumber(12.345)).toBe("12.3");
    expect(formatNumber(12345.6)).toBe("12346");
    expect(formatNumber(999999.4)).toBe("999999");
    expect(formatNumber(2.5e6 + 0.5)).toBe("2.5e6");
    expect(formatNumber(1e-12)).toBe("1e-12");
    expect(formatNumber(-3.14159e12)).toBe("-3.14e12");
    expect(formatNumber(9.996)).toBe("10");
  });

  it("integers exactly below 1e6, in exponent form above", () => {
    expect(formatNumber(0)).toBe("0");
    expect(formatNumber(-0)).toBe("0");
    expect(formatNumber(7)).toBe("7");
    expect(formatNumber(-20000)).toBe("-20000");
    expect(formatNumber(999999)).toBe("999999");
    expect(formatNumber(1e12)).toBe("1e12");
    expect(formatNumber(-1234567)).toBe("-1.23e6");
  });

  it("NaN and infinities", () => {
    expect(formatNumber(NaN)).toBe("–");
    expect(formatNumber(Infinity)).toBe("∞");
    expect(formatNumber(-Infinity)).toBe("-∞");
  });

  it("takes the number of significant digits", () => {
    expect(formatNumber(0.123456, 4)).toBe("0.1235");
    expect(formatNumber(0.0031, 2)).toBe("0.0031");
    expect(formatNumber(1.35e-4, 2)).toBe("1.4e-4");
    expect(formatNumber(0.1, 4)).toBe("0.1");
    expect(formatValue).toBe(formatNumber);
  });
});

describe("fixed, metric, percent and ms", () => {
  it("fixed decimals for aligned columns", () => {
    expect(formatMetric(0.93456)).toBe("0.935");
    expect(formatMetric(NaN)).toBe("–");
    expect(formatFixed(-Infinity, 2)).toBe("-∞");
    expect(formatMs(1.234)).toBe("1.23");
  });

  it("percentages never round a non-zero to 0.0%", () => {
    expect(formatPercent(0.8766)).toBe("87.7%");
    expect(formatPercent(1)).toBe("100.0%");
    expect(formatPercent(0)).toBe("0.0%");
    expect(formatPercent(0.00013)).toBe("0.013%");
    expect(formatPercent(2e-9)).toBe("2e-7%");
    expect(formatPercent(-0.5)).toBe("-50.0%");
    expect(formatPercent(NaN)).toBe("–");
  });
});
