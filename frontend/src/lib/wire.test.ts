import { describe, expect, it } from "vitest";
import { decodeWire, WIRE_VERSION, WireFormatError } from "./wire";

/** Encodes like the server: versioned header, space-padded to 8, each array 8-aligned. */
function encode(meta: unknown, arrays: Record<string, { dtype: string; shape: number[]; data: ArrayBufferView }>, version: unknown = WIRE_VERSION) {
  const entries = Object.entries(arrays);
  let headerJson = "";
  let base = 0;
  for (let pass = 0; pass < 4; pass++) {
    let off = base;
    const hdr: Record<string, unknown> = {};
    for (const [name, a] of entries) {
      hdr[name] = { dtype: a.dtype, shape: a.shape, offset: off, length: a.data.byteLength };
      off += Math.ceil(a.data.byteLength / 8) * 8;
    }
    headerJson = JSON.stringify({ v: version, meta, arrays: hdr });
    base = Math.ceil((4 + new TextEncoder().encode(headerJson).length) / 8) * 8;
  }
  const header = new TextEncoder().encode(headerJson);
  let total = base;
  for (const [, a] of entries) total += Math.ceil(a.data.byteLength / 8) * 8;
  const buf = new ArrayBuffer(total);
  new DataView(buf).setUint32(0, header.length, true);
  new Uint8Array(buf, 4).set(header);
  let off = base;
  for (const [, a] of entries) {
    new Uint8Array(buf, off).set(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength));
    off += Math.ceil(a.data.byteLength / 8) * 8;
  }
  return buf;
}

describe("decodeWire", () => {
  it("decodes meta and typed arrays as views on the buffer", () => {
    const buf = encode({ kind: "scores", name: "ünï" }, {
      confusion: { dtype: "float64", shape: [2, 2], data: new Float64Array([1, 2, 3, 4]) },
      odd: { dtype: "uint8", shape: [3], data: new Uint8Array([7, 8, 9]) },
      after: { dtype: "int32", shape: [2], data: new Int32Array([-1, 5]) },
      f: { dtype: "float32", shape: [1], data: new Float32Array([0.5]) },
    });
    const rec = decodeWire<{ kind: string; name: string }>(buf);
    expect(rec.meta).toEqual({ kind: "scores", name: "ünï" });
    expect(Array.from(rec.arrays.confusion.data)).toEqual([1, 2, 3, 4]);
    expect(rec.arrays.confusion.shape).toEqual([2, 2]);
    expect(rec.arrays.confusion.data.buffer).toBe(buf);
    expect(Array.from(rec.arrays.odd.data)).toEqual([7, 8, 9]);
    // The array after a 3-byte one starts at the next multiple of 8.
    expect(rec.arrays.after.data.byteOffset % 8).toBe(0);
    expect(Array.from(rec.arrays.after.data)).toEqual([-1, 5]);
    expect(rec.arrays.f.data[0]).toBe(0.5);
  });

  it("rejects misaligned offsets, overruns and unknown dtypes", () => {
    const good = encode({}, { a: { dtype: "float64", shape: [1], data: new Float64Array([1]) } });
    const patch = (from: string, to: string) => {
      const len = new DataView(good).getUint32(0, true);
      const text = new TextDecoder().decode(new Uint8Array(good, 4, len)).replace(from, to);
      const bytes = new TextEncoder().encode(text);
      const buf = good.slice(0);
      new DataView(buf).setUint32(0, bytes.length, true);
      new Uint8Array(buf, 4).set(bytes);
      return buf;
    };
    const offset = /"offset":(\d+)/.exec(new TextDecoder().decode(good))![1];
    expect(() => decodeWire(patch(`"offset":${offset}`, `"offset":${Number(offset) - 4}`.padEnd(`"offset":${offset}`.length)))).toThrow(/aligned/);
    expect(() => decodeWire(patch('"shape":[1]', '"shape":[9]'))).toThrow(/past the end/);
    expect(() => decodeWire(patch('"float64"', '"float16"'))).toThrow(/dtype/);
    expect(() => decodeWire(new ArrayBuffer(2))).toThrow(WireFormatError);
  });

  it("refuses an answer of another wire version", () => {
    const array = { a: { dtype: "float64", shape: [1], data: new Float64Array([1]) } };
    expect(() => decodeWire(encode({}, array, WIRE_VERSION + 1))).toThrow(/version 2.*reload/);
    expect(() => decodeWire(encode({}, array, null))).toThrow(WireFormatError);
  });
});
