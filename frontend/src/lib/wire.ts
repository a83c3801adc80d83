/**
 * Decoder for the binary wire format of docs/http_api.md:
 * `uint32 LE header_len | header JSON, space-padded so that 4 + header_len is a multiple of 8 | array data`,
 * each array at an 8-aligned absolute offset, so typed arrays are views on the response buffer (no copy).
 */

/** The wire format version this decoder reads (tb_suite/core/wire.py `VERSION`). */
export const WIRE_VERSION = 1;

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
}

export interface WireArray {
  dtype: Dtype;
  shape: number[];
  data: TypedArray;
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
    v?: number;
    meta: M;
    arrays: Record<string, ArrayHeader>;
  };
  if (header.v !== WIRE_VERSION) {
    throw new WireFormatError(`wire format version ${header.v}, this page reads ${WIRE_VERSION}: reload the page`);
  }
  const arrays: Record<string, WireArray> = {};
  for (const [name, h] of Object.entries(header.arrays ?? {})) {
    const Ctor = CONSTRUCTORS[h.dtype];
    if (!Ctor) throw new WireFormatError(`${name}: unknown dtype ${h.dtype}`);
    if (h.offset % 8 !== 0) throw new WireFormatError(`${name}: offset ${h.offset} is not 8-aligned`);
    const count = h.shape.reduce((a, b) => a * b, 1);
    const bytes = count * Ctor.BYTES_PER_ELEMENT;
    if (h.offset + bytes > buffer.byteLength) throw new WireFormatError(`${name}: data runs past the end`);
    arrays[name] = { dtype: h.dtype, shape: h.shape, data: new Ctor(buffer, h.offset, count) };
  }
  return { meta: header.meta, arrays };
}
