import { describe, expect, it } from "vitest";
import { decodeBase85, embeddedKey } from "./embedded";

// Vectors from Python: base64.b85encode(data).translate(bytes.maketrans(b"<", b".")) (tb_suite/export/embed.py).
describe("decodeBase85", () => {
  it("reads Python's unpadded base85 of every length, with '.' for '<'", () => {
    const head = [250, 251, 252, 253, 254, 255];
    const encoded: Record<number, string> = {
      0: "`uqI-{{H",
      1: "`uqI-{{H{",
      2: "`uqI-{{H|0",
      3: "`uqI-{{H|00s",
      4: "`uqI-{{H|00s{",
      7: "`uqI-{{H|00s{mE1^",
    };
    for (const [n, text] of Object.entries(encoded)) {
      const expected = [...head, ...Array.from({ length: Number(n) }, (_, i) => i)];
      expect([...decodeBase85(text, expected.length)]).toEqual(expected);
    }
    const bytes = [255, 228, 34, 121, 243, 189, 6, 131, 102, 168, 82, 193, 187, 150, 81, 243, 205, 24, 236, 8, 246, 164, 231];
    expect([...decodeBase85("|KuWh^SuUxW~frZyOvS&%^2(m_N3.", bytes.length)]).toEqual(bytes);
  });

  it("refuses a character outside the alphabet", () => {
    expect(() => decodeBase85("ab<de", 4)).toThrow(/bad base85/);
  });
});

describe("embeddedKey", () => {
  it("matches tb_suite/export/embed.py key(): parameters as strings, sorted by name", () => {
    expect(embeddedKey("record", { tag: "é<x", step: 3, run: "a" })).toBe('["record",[["run","a"],["step","3"],["tag","é<x"]]]');
    expect(embeddedKey("tags")).toBe('["tags",[]]');
  });
});
