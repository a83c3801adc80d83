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


def _stats_dtype(values: np.ndarray) -> np.dtype:
    """float16 row statistics (4 bytes per row) unless the values overflow float16."""
    finite_max = float(np.abs(values).max()) if values.size else 0.0
    return np.dtype("<f2") if finite_max < 60000 else np.dtype("<f4")


def quantize_u8(values: np.ndarray, stats_dtype=np.float32) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """uint8 codes per row of the last axis, with each row's min and max in `stats_dtype`.

    The statistics are rounded outward (min down, max up) so every value lies inside the stored range.
    """
    values = np.asarray(values, dtype=np.float32)
    if values.ndim == 0:
        values = values.reshape(1)
    lo = values.min(axis=-1).astype(stats_dtype)
    hi = values.max(axis=-1).astype(stats_dtype)
    lo = np.where(lo.astype(np.float32) > values.min(axis=-1), np.nextafter(lo, stats_dtype(-np.inf)), lo)
    hi = np.where(hi.astype(np.float32) < values.max(axis=-1), np.nextafter(hi, stats_dtype(np.inf)), hi)
    lo32, hi32 = lo.astype(np.float32), hi.astype(np.float32)
    span = hi32 - lo32
    scale = np.divide(255.0, span, out=np.zeros_like(span), where=span > 0)
    codes = np.rint((values - lo32[..., None]) * scale[..., None])
    return codes.astype(np.uint8), lo, hi


def dequantize_u8(codes: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    lo, hi = lo.astype(np.float32), hi.astype(np.float32)
    step = (hi - lo) / np.float32(255.0)
    return lo[..., None] + codes.astype(np.float32) * step[..., None]


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
        stats_dtype = _stats_dtype(array)
        codes, lo, hi = quantize_u8(array, stats_dtype.type)
        entry["stats"] = stats_dtype.name
        parts = [lo.tobytes(), hi.tobytes(), codes.tobytes()]
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
    shape = tuple(entry["shape"])
    dtype = np.dtype(entry["dtype"])
    enc = entry["enc"]
    if enc == "raw":
        return np.frombuffer(data, dtype=dtype.newbyteorder("<")).reshape(shape).astype(dtype, copy=False)
    if enc == "f16":
        return np.frombuffer(data, dtype="<f2").reshape(shape).astype(dtype)
    if enc == "u8q":
        rows = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
        stats = np.dtype(entry.get("stats", "float32")).newbyteorder("<")
        lo = np.frombuffer(data, stats, rows, 0).reshape(shape[:-1] or (1,))
        hi = np.frombuffer(data, stats, rows, stats.itemsize * rows).reshape(shape[:-1] or (1,))
        codes = np.frombuffer(data, np.uint8, offset=2 * stats.itemsize * rows).reshape(shape or (1,))
        return dequantize_u8(codes, lo, hi).reshape(shape).astype(dtype, copy=False)
    raise CodecError(f"unknown encoding {enc!r}")


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
    ref = json.loads(value[4:])
    return {"file": str(ref["file"]), "offset": int(ref["offset"]), "length": int(ref["length"])}


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
