/**
 * Decoder for the binary wire format of docs/http_api.md:
 * `uint32 LE header_len | header JSON | zero padding to 8 | array data`, each array at an 8-aligned
 * absolute offset, so typed arrays are views on the response buffer (no copy).
 */

export type Dtype = "float32" | "float64" | "int8" | "uint8" | "int16" | "uint16" | "int32" | "uint32";

export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array;

export interface ArrayHeader {
  dtype: Dtype;
  shape: number[];
  offset: number;
  length: number;
  quant?: { lo: string; hi: string };
}

export interface WireArray {
  dtype: Dtype;
  shape: number[];
  data: TypedArray;
  quant?: { lo: string; hi: string };
}

export interface WireRecord<M = Record<string, unknown>> {
  meta: M;
  arrays: Record<string, WireArray>;
}

const CONSTRUCTORS = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
} as const;

export class WireFormatError extends Error {}

export function decodeWire<M = Record<string, unknown>>(buffer: ArrayBuffer): WireRecord<M> {
  if (buffer.byteLength < 4) throw new WireFormatError("response too short");
  const headerLen = new DataView(buffer).getUint32(0, true);
  if (4 + headerLen > buffer.byteLength) throw new WireFormatError("header runs past the end");
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, headerLen))) as {
    meta: M;
    arrays: Record<string, ArrayHeader>;
  };
  const arrays: Record<string, WireArray> = {};
  for (const [name, h] of Object.entries(header.arrays ?? {})) {
    const Ctor = CONSTRUCTORS[h.dtype];
    if (!Ctor) throw new WireFormatError(`${name}: unknown dtype ${h.dtype}`);
    if (h.offset % 8 !== 0) throw new WireFormatError(`${name}: offset ${h.offset} is not 8-aligned`);
    const count = h.shape.reduce((a, b) => a * b, 1);
    const bytes = count * Ctor.BYTES_PER_ELEMENT;
    if (h.offset + bytes > buffer.byteLength) throw new WireFormatError(`${name}: data runs past the end`);
    arrays[name] = { dtype: h.dtype, shape: h.shape, data: new Ctor(buffer, h.offset, count), quant: h.quant };
  }
  return { meta: header.meta, arrays };
}

/**
 * Float values of an array, dequantizing `u8q` arrays: each row along the last axis has its own
 * `lo`/`hi` (float32 arrays named by `quant`), value = lo + (hi - lo) * q / 255.
 */
export function floatValues(record: WireRecord<unknown>, name: string): ArrayLike<number> {
  const arr = record.arrays[name];
  if (!arr) throw new WireFormatError(`missing array ${name}`);
  if (!arr.quant) return arr.data;
  const lo = record.arrays[arr.quant.lo]?.data;
  const hi = record.arrays[arr.quant.hi]?.data;
  if (!lo || !hi) throw new WireFormatError(`${name}: missing quantization arrays`);
  const rowLen = arr.shape[arr.shape.length - 1] ?? 1;
  const out = new Float32Array(arr.data.length);
  for (let i = 0; i < out.length; i++) {
    const row = Math.floor(i / rowLen);
    out[i] = lo[row] + ((hi[row] - lo[row]) * arr.data[i]) / 255;
  }
  return out;
}
