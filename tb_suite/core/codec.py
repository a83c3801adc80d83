"""Records (a JSON-able meta dict plus named arrays) <-> compact versioned payloads, and the wire format.

Formats are described in docs/storage.md (payloads) and docs/http_api.md (wire).
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import Iterable, Mapping

import numpy as np

MAGIC = b"TBS1"
REF_MAGIC = b"TBSR"
VERSION = 1
ENCODINGS = ("raw", "f16", "u8q")
_WIRE_DTYPES = {"float32", "float64", "int8", "uint8", "int16", "uint16", "int32", "uint32"}


class CodecError(ValueError):
    """A payload that cannot be decoded (corrupt, truncated or from a newer version)."""


def quantize_u8(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """uint8 codes per row of the last axis with each row's float32 min and an int8 exponent `e`:
    `value = lo + q * 2**e / 255`, where 2**e is the smallest power of two >= the row's range (so the
    error is at most range / 255) and e = -128 marks a constant row: 5 bytes per row."""
    values = np.asarray(values, dtype=np.float32)
    if values.ndim == 0:
        values = values.reshape(1)
    lo = values.min(axis=-1)
    span = values.max(axis=-1) - lo
    mantissa, exponent = np.frexp(span)
    exponent = np.clip(exponent - (mantissa == 0.5), -127, 127).astype(np.int8)
    exponent[span == 0] = -128
    scale = np.where(span > 0, np.ldexp(np.float32(255.0), -np.where(span > 0, exponent, 0).astype(np.int32)), 0)
    scale = scale.astype(np.float32)
    codes = values - lo[..., None]
    codes *= scale[..., None]
    np.rint(codes, out=codes)
    np.clip(codes, 0, 255, out=codes)
    return codes.astype(np.uint8), lo, exponent


def _sections(enc: str, dtype: np.dtype, shape: tuple) -> list[tuple[np.dtype, tuple]]:
    """The consecutive (dtype, shape) blocks an encoded array is stored as; each block is C-ordered, so a
    slice along leading axes is one contiguous byte range per block."""
    rows = shape[:-1]
    if enc == "raw":
        return [(dtype.newbyteorder("<"), shape)]
    if enc == "f16":
        return [(np.dtype("<f2"), shape)]
    if enc == "u8q":
        return [(np.dtype("<f4"), rows), (np.dtype(np.int8), rows), (np.dtype(np.uint8), shape)]
    raise CodecError(f"unknown encoding {enc!r}")


def _assemble(enc: str, dtype: np.dtype, blocks: list[np.ndarray]) -> np.ndarray:
    """The logical array from its decoded blocks (whole, or the same slice of each)."""
    if enc == "raw":
        return blocks[0].astype(dtype, copy=False)
    if enc == "f16":
        return blocks[0].astype(dtype)
    lo, exponent, codes = blocks
    constant = exponent == -128
    step = np.where(constant, 0, np.ldexp(np.float32(1.0 / 255.0), np.where(constant, 0, exponent).astype(np.int32)))
    step = step.astype(np.float32)
    values = lo[..., None] + codes.astype(np.float32) * step[..., None]
    return values.reshape(codes.shape).astype(dtype, copy=False)


def _encode_array(array: np.ndarray, enc: str) -> tuple[dict, list[bytes]]:
    array = np.asarray(array)
    if array.dtype == object or array.dtype.kind in "USV":
        raise TypeError("records hold numeric arrays only; put strings in meta")
    entry = {"dtype": array.dtype.name, "shape": list(array.shape), "enc": enc}
    if enc == "raw":
        parts = [np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()]
    elif enc == "f16":
        parts = [np.ascontiguousarray(array, dtype="<f2").tobytes()]
    elif enc == "u8q":
        codes, lo, exponent = quantize_u8(array)
        parts = [lo.astype("<f4").tobytes(), exponent.tobytes(), codes.tobytes()]
    else:
        raise ValueError(f"unknown encoding {enc!r}; expected one of {ENCODINGS}")
    return entry, parts


def encode_record(
    meta: Mapping,
    arrays: Mapping[str, np.ndarray],
    *,
    encodings: Mapping[str, str] | None = None,
    compress: bool = False,
) -> bytes:
    """Encode a record. `encodings` maps array names to "raw" (default), "f16" or "u8q"."""
    encodings = encodings or {}
    unknown = set(encodings) - set(arrays)
    if unknown:
        raise ValueError(f"encodings name arrays that are not in the record: {sorted(unknown)}")
    entries, chunks = [], []
    for name, array in arrays.items():
        entry, parts = _encode_array(array, encodings.get(name, "raw"))
        data = b"".join(parts)
        entry["comp"] = "none"
        if compress and len(data) > 1024:
            packed = zlib.compress(data, 1)
            if len(packed) <= 0.9 * len(data):
                data, entry["comp"] = packed, "zlib"
        entry["name"] = name
        entry["nbytes"] = len(data)
        entries.append(entry)
        chunks.append(data)
    header = json.dumps({"v": VERSION, "meta": meta, "arrays": entries}, separators=(",", ":")).encode()
    return b"".join([MAGIC, struct.pack("<I", len(header)), header, *chunks])


def _decode_array(entry: dict, data: bytes) -> np.ndarray:
    if entry["comp"] == "zlib":
        data = zlib.decompress(data)
    elif entry["comp"] != "none":
        raise CodecError(f"unknown compression {entry['comp']!r}")
    shape, dtype = tuple(entry["shape"]), np.dtype(entry["dtype"])
    blocks, offset = [], 0
    for block_dtype, block_shape in _sections(entry["enc"], dtype, shape):
        count = int(np.prod(block_shape))
        blocks.append(np.frombuffer(data, block_dtype, count, offset).reshape(block_shape))
        offset += count * block_dtype.itemsize
    return _assemble(entry["enc"], dtype, blocks)


def parse_header(prefix: bytes) -> tuple[dict, int] | None:
    """(header, offset of the first array's data) from the start of a payload, or None when `prefix` is
    too short to hold the whole header (`header_size(prefix)` says how many bytes it needs)."""
    if prefix[:4] != MAGIC:
        raise CodecError("not a tb-suite payload")
    needed = header_size(prefix)
    if len(prefix) < needed:
        return None
    try:
        header = json.loads(prefix[8:needed])
    except ValueError as exc:
        raise CodecError("corrupt payload header") from exc
    if header.get("v", 0) > VERSION:
        raise CodecError(f"payload version {header.get('v')} is newer than this tb-suite ({VERSION}); upgrade")
    return header, needed


def header_size(prefix: bytes) -> int:
    """Bytes from the payload's start to its first array's data; needs the first 8 bytes."""
    if len(prefix) < 8:
        raise CodecError("truncated payload")
    return 8 + struct.unpack_from("<I", prefix, 4)[0]


def slice_spans(header: dict, data_offset: int, name: str, index: tuple[int, ...]) -> list[tuple[int, int]]:
    """(offset, length) byte ranges, from the payload's start, holding `array[index]` of array `name`,
    where `index` picks positions along leading axes (not the last axis of a quantized array).
    Decode the bytes read from them with `decode_slice`. Compressed arrays have no spans: read them whole."""
    offset = data_offset
    for entry in header["arrays"]:
        if entry["name"] == name:
            break
        offset += entry["nbytes"]
    else:
        raise KeyError(name)
    shape = tuple(entry["shape"])
    quantized = entry["enc"] == "u8q"
    if len(index) > len(shape) - (1 if quantized else 0):
        raise IndexError(f"array {name!r} of shape {shape} cannot be indexed by {len(index)} leading positions")
    for i, (position, size) in enumerate(zip(index, shape)):
        if not 0 <= position < size:
            raise IndexError(f"position {position} is out of range for axis {i} of array {name!r} (size {size})")
    if entry["comp"] != "none":
        raise CodecError(f"array {name!r} is compressed: it can only be decoded whole")
    spans = []
    for block_dtype, block_shape in _sections(entry["enc"], np.dtype(entry["dtype"]), shape):
        inner = int(np.prod(block_shape[len(index):])) * block_dtype.itemsize
        flat = int(np.ravel_multi_index(index, block_shape[: len(index)])) if index else 0
        spans.append((offset + flat * inner, inner))
        offset += int(np.prod(block_shape)) * block_dtype.itemsize
    return spans


def decode_slice(header: dict, name: str, index: tuple[int, ...], chunks: list[bytes]) -> np.ndarray:
    """`array[index]` of array `name` from the bytes of its `slice_spans`, in order."""
    entry = next(e for e in header["arrays"] if e["name"] == name)
    shape, dtype = tuple(entry["shape"]), np.dtype(entry["dtype"])
    blocks = [
        np.frombuffer(chunk, block_dtype).reshape(block_shape[len(index):])
        for chunk, (block_dtype, block_shape) in zip(chunks, _sections(entry["enc"], dtype, shape))
    ]
    return _assemble(entry["enc"], dtype, blocks)


def decode_record(
    payload: bytes, names: set[str] | None = None, exclude: Iterable[str] = ()
) -> tuple[dict, dict[str, np.ndarray]]:
    """Decode a payload; `names` limits which arrays are decoded, `exclude` skips some."""
    exclude = set(exclude)
    if payload[:4] != MAGIC:
        raise CodecError("not a tb-suite payload")
    try:
        (header_len,) = struct.unpack_from("<I", payload, 4)
        header = json.loads(payload[8 : 8 + header_len])
    except (struct.error, ValueError) as exc:
        raise CodecError("corrupt payload header") from exc
    if header.get("v", 0) > VERSION:
        raise CodecError(f"payload version {header.get('v')} is newer than this tb-suite ({VERSION}); upgrade")
    arrays = {}
    offset = 8 + header_len
    for entry in header["arrays"]:
        end = offset + entry["nbytes"]
        if end > len(payload):
            raise CodecError("truncated payload")
        if (names is None or entry["name"] in names) and entry["name"] not in exclude:
            try:
                arrays[entry["name"]] = _decode_array(entry, payload[offset:end])
            except (ValueError, zlib.error) as exc:
                raise CodecError(f"corrupt array {entry['name']!r}") from exc
        offset = end
    return header["meta"], arrays


def encode_reference(file: str, offset: int, length: int) -> bytes:
    return REF_MAGIC + json.dumps({"file": file, "offset": offset, "length": length}).encode()


def decode_reference(value: bytes) -> dict | None:
    """The (file, offset, length) a stored value points to, or None when it holds the payload itself."""
    if value[:4] != REF_MAGIC:
        return None
    try:
        ref = json.loads(value[4:])
        return {"file": str(ref["file"]), "offset": int(ref["offset"]), "length": int(ref["length"])}
    except (ValueError, KeyError, TypeError) as exc:
        raise CodecError("corrupt sidecar reference") from exc


def _wire_array(array: np.ndarray) -> np.ndarray:
    array = np.asarray(array)
    if array.dtype.kind in "iu" and array.dtype.itemsize == 8:
        return array.astype("<f8")
    if array.dtype == np.float16:
        return array.astype("<f4")
    if array.dtype == np.bool_:
        return array.astype(np.uint8)
    if array.dtype.name not in _WIRE_DTYPES:
        raise TypeError(f"array of dtype {array.dtype} cannot be sent to the browser")
    return np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))


def encode_wire(meta: Mapping, arrays: Mapping[str, np.ndarray]) -> bytes:
    """The browser format: uint32 header length, JSON header, arrays at 8-aligned absolute offsets."""
    wire = {name: _wire_array(a) for name, a in arrays.items()}
    entries: dict[str, dict] = {}
    # Offsets depend on the header length, which depends on the offsets: fix the header size first.
    for _ in range(10):
        header = json.dumps({"meta": meta, "arrays": entries}, separators=(",", ":")).encode()
        start = -(-(4 + len(header)) // 8) * 8
        offset, new_entries = start, {}
        for name, a in wire.items():
            new_entries[name] = {"dtype": a.dtype.name, "shape": list(a.shape), "offset": offset, "length": a.size}
            offset += -(-a.nbytes // 8) * 8
        if new_entries == entries:
            break
        entries = new_entries
    header = json.dumps({"meta": meta, "arrays": entries}, separators=(",", ":")).encode()
    header += b" " * (start - 4 - len(header))
    out = bytearray(offset)
    out[:4] = struct.pack("<I", len(header))
    out[4 : 4 + len(header)] = header
    for name, a in wire.items():
        pos = entries[name]["offset"]
        out[pos : pos + a.nbytes] = a.tobytes()
    return bytes(out)


def decode_wire(body: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    """(meta, arrays) of a wire-format answer: what a Python client of the plugin routes reads."""
    (header_len,) = struct.unpack_from("<I", body)
    header = json.loads(body[4 : 4 + header_len])
    arrays = {
        name: np.frombuffer(body, entry["dtype"], entry["length"], entry["offset"]).reshape(entry["shape"])
        for name, entry in header["arrays"].items()
    }
    return header["meta"], arrays
