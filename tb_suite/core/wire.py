"""The wire format of the plugin routes (docs/http_api.md): a record's meta and arrays as one binary answer
that the browser reads as typed-array views without copying (frontend/src/lib/wire.ts)."""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping

import numpy as np

# Raised when the layout changes; the browser refuses answers of any other version (a tab loaded before a
# tb-suite upgrade asks for a reload instead of misreading them).
VERSION = 1
_WIRE_DTYPES = {"float32", "float64", "int8", "uint8", "int16", "uint16", "int32", "uint32"}


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
    """The browser format: uint32 header length, JSON header (space-padded so that the data after it starts
    at a multiple of 8; the padding counts in the header length), arrays at 8-aligned absolute offsets."""
    wire = {name: _wire_array(a) for name, a in arrays.items()}
    entries: dict[str, dict] = {}
    # Offsets depend on the header length, which depends on the offsets: fix the header size first.
    for _ in range(10):
        header = json.dumps({"v": VERSION, "meta": meta, "arrays": entries}, separators=(",", ":")).encode()
        start = -(-(4 + len(header)) // 8) * 8
        offset, new_entries = start, {}
        for name, a in wire.items():
            new_entries[name] = {"dtype": a.dtype.name, "shape": list(a.shape), "offset": offset, "length": a.size}
            offset += -(-a.nbytes // 8) * 8
        if new_entries == entries:
            break
        entries = new_entries
    header = json.dumps({"v": VERSION, "meta": meta, "arrays": entries}, separators=(",", ":")).encode()
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
    if header.get("v") != VERSION:
        raise ValueError(f"wire format version {header.get('v')!r}, this tb-suite reads {VERSION}")
    arrays = {
        name: np.frombuffer(body, entry["dtype"], entry["length"], entry["offset"]).reshape(entry["shape"])
        for name, entry in header["arrays"].items()
    }
    return header["meta"], arrays
