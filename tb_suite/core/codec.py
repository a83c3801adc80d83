"""Records (a JSON-able meta dict plus named arrays) <-> the compact versioned payloads stored in event
files and sidecars (docs/storage.md); what the routes send the browser is `tb_suite.core.wire`.

Every payload is checked before it is trusted: the header against the format (types, keys, allowed values,
sizes), and, since format 2, the header and each 16 KiB chunk of array data against their CRC32C. Anything
damaged raises `CodecError`.
"""

from __future__ import annotations

import json
import math
import re
import struct
import zlib
from collections.abc import Iterable, Mapping

import google_crc32c
import numpy as np

MAGIC = b"TBS2"  # format 2: header and data checksums
MAGIC_V1 = b"TBS1"  # format 1 (no checksums): still read
REF_MAGIC = b"TBSR"
VERSION = 2
CHUNK = 16 << 10  # array data is checksummed per chunk, so a slice is checked by reading a few chunks
ENCODINGS = ("raw", "f16", "u8q")
COMPRESSIONS = ("none", "zlib")
DTYPES = frozenset(
    {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float32", "float64"}
)
_FLOAT_DTYPES = frozenset({"float16", "float32", "float64"})
_ENTRY_KEYS = {
    1: {"name", "dtype", "shape", "enc", "comp", "nbytes"},
    2: {"name", "dtype", "shape", "enc", "comp", "nbytes", "crc"},
}
_MAX_RANK = 32
_MAX_ARRAY_BYTES = 1 << 40
_HEX = re.compile(r"[0-9a-f]*")


class CodecError(ValueError):
    """A payload that cannot be decoded (damaged, truncated, malformed or from a newer version)."""


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


def _decoded_size(entry: dict) -> int:
    """Bytes of an array's encoded data before compression."""
    return sum(
        math.prod(shape) * dtype.itemsize
        for dtype, shape in _sections(entry["enc"], np.dtype(entry["dtype"]), tuple(entry["shape"]))
    )


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


def _checksums(data: bytes) -> str:
    return "".join(f"{google_crc32c.value(data[i : i + CHUNK]):08x}" for i in range(0, len(data), CHUNK))


def _encode_array(array: np.ndarray, enc: str) -> tuple[dict, list[bytes]]:
    array = np.asarray(array)
    if array.dtype.name not in DTYPES:
        raise TypeError(
            f"records hold bool, integer and float arrays only, got dtype {array.dtype}; put strings in meta"
        )
    if enc != "raw" and array.dtype.name not in _FLOAT_DTYPES:
        raise TypeError(f"encoding {enc!r} is for float arrays, got dtype {array.dtype}")
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
        if not isinstance(name, str):
            raise TypeError(f"array names must be str, got {type(name).__name__}")
        entry, parts = _encode_array(array, encodings.get(name, "raw"))
        data = b"".join(parts)
        entry["comp"] = "none"
        if compress and len(data) > 1024:
            packed = zlib.compress(data, 1)
            if len(packed) <= 0.9 * len(data):
                data, entry["comp"] = packed, "zlib"
        entry["name"] = name
        entry["nbytes"] = len(data)
        entry["crc"] = _checksums(data)
        entries.append(entry)
        chunks.append(data)
    header = json.dumps({"v": VERSION, "meta": meta, "arrays": entries}, separators=(",", ":")).encode()
    prefix = MAGIC + struct.pack("<I", len(header)) + header
    return b"".join([prefix, struct.pack("<I", google_crc32c.value(prefix)), *chunks])


def _layout(prefix: bytes, total: int | None) -> tuple[int, int]:
    """(format version, bytes from the payload's start to its first array's data) from the first 8 bytes
    of a payload; `total`, the payload's length when known, bounds the size."""
    if len(prefix) < 8:
        raise CodecError("truncated payload")
    magic = bytes(prefix[:4])
    if magic not in (MAGIC, MAGIC_V1):
        if magic[:3] == b"TBS" and magic[3:].isdigit() and int(magic[3:]) > VERSION:
            raise CodecError(f"payload format {magic[3:].decode()} is newer than this tb-suite ({VERSION}); upgrade")
        raise CodecError("not a tb-suite payload")
    version = 2 if magic == MAGIC else 1
    size = 8 + struct.unpack_from("<I", prefix, 4)[0] + (4 if version == 2 else 0)
    if total is not None and size > total:
        raise CodecError("truncated payload header")
    return version, size


def header_size(prefix: bytes, total: int | None = None) -> int:
    """Bytes from the payload's start to its first array's data; needs the first 8 bytes. `total`, the
    payload's length when known, bounds it."""
    return _layout(prefix, total)[1]


def parse_header(prefix: bytes, total: int | None = None) -> tuple[dict, int] | None:
    """(header, offset of the first array's data) from the start of a payload, or None when `prefix` is
    too short to hold the whole header (`header_size(prefix)` says how many bytes it needs). The header is
    checked whole (checksum, keys, types, values, sizes); with `total`, the payload's length, the arrays'
    sizes must add up to it."""
    version, needed = _layout(prefix, total)
    if len(prefix) < needed:
        return None
    end = needed - 4 if version == 2 else needed
    if version == 2 and google_crc32c.value(bytes(prefix[:end])) != struct.unpack_from("<I", prefix, end)[0]:
        raise CodecError("payload header is damaged (checksum mismatch)")
    try:
        header = json.loads(prefix[8:end])
    except (ValueError, RecursionError) as exc:
        raise CodecError("corrupt payload header: not JSON") from exc
    _check_header(header, version)
    data = sum(entry["nbytes"] for entry in header["arrays"])
    if total is not None and (needed + data != total if version == 2 else needed + data > total):
        raise CodecError(f"payload is {total} bytes but its header describes {needed + data}")
    return header, needed


def _check_header(header, version: int) -> None:
    if not isinstance(header, dict) or set(header) != {"v", "meta", "arrays"}:
        raise CodecError("corrupt payload header: expected the keys v, meta, arrays")
    if type(header["v"]) is not int or header["v"] != version:
        raise CodecError(f"corrupt payload header: version {header['v']!r} in a format {version} payload")
    if not isinstance(header["meta"], dict):
        raise CodecError("corrupt payload header: meta is not an object")
    if not isinstance(header["arrays"], list):
        raise CodecError("corrupt payload header: arrays is not a list")
    names = set()
    for i, entry in enumerate(header["arrays"]):
        if not isinstance(entry, dict) or set(entry) != _ENTRY_KEYS[version]:
            raise CodecError(f"corrupt payload header: array entry {i} lacks or adds keys")
        _check_entry(entry, version)
        if entry["name"] in names:
            raise CodecError(f"corrupt payload header: two arrays named {entry['name']!r}")
        names.add(entry["name"])


def _check_entry(entry: dict, version: int) -> None:
    name = entry["name"]
    if not isinstance(name, str):
        raise CodecError("corrupt payload header: an array name is not a string")

    def bad(what: str) -> CodecError:
        return CodecError(f"corrupt payload header: array {name!r} has {what}")

    if not isinstance(entry["dtype"], str) or entry["dtype"] not in DTYPES:
        raise bad(f"unknown dtype {entry['dtype']!r}")
    if entry["enc"] not in ENCODINGS:
        raise bad(f"unknown encoding {entry['enc']!r}")
    if entry["enc"] != "raw" and entry["dtype"] not in _FLOAT_DTYPES:
        raise bad(f"encoding {entry['enc']!r} with dtype {entry['dtype']!r}")
    if entry["comp"] not in COMPRESSIONS:
        raise bad(f"unknown compression {entry['comp']!r}")
    shape = entry["shape"]
    if not isinstance(shape, list) or len(shape) > _MAX_RANK or any(type(n) is not int or n < 0 for n in shape):
        raise bad(f"an invalid shape {shape!r}")
    nbytes = entry["nbytes"]
    if type(nbytes) is not int or nbytes < 0:
        raise bad(f"an invalid size {nbytes!r}")
    if _decoded_size(entry) > _MAX_ARRAY_BYTES:
        raise bad(f"an implausible shape {shape}")
    if entry["comp"] == "none" and nbytes != _decoded_size(entry):
        raise bad(f"{nbytes} bytes for shape {shape} in encoding {entry['enc']!r}")
    if version >= 2:
        crc = entry["crc"]
        if not isinstance(crc, str) or len(crc) != 8 * -(-nbytes // CHUNK) or not _HEX.fullmatch(crc):
            raise bad("invalid checksums")


def _verify(entry: dict, data: bytes, first_chunk: int = 0) -> None:
    """Checks `data`, the array's stored bytes from chunk `first_chunk` on, against its chunk checksums."""
    crc = entry.get("crc")
    if crc is None:
        return
    for i in range(0, len(data), CHUNK):
        chunk = first_chunk + i // CHUNK
        if google_crc32c.value(data[i : i + CHUNK]) != int(crc[8 * chunk : 8 * chunk + 8], 16):
            raise CodecError(f"array {entry['name']!r} is damaged (checksum mismatch in chunk {chunk})")


def _decode_array(entry: dict, data: bytes) -> np.ndarray:
    _verify(entry, data)
    expected = _decoded_size(entry)
    if entry["comp"] == "zlib":
        try:
            inflate = zlib.decompressobj()
            data = inflate.decompress(data, expected + 1)
        except zlib.error as exc:
            raise CodecError(f"array {entry['name']!r} is damaged: {exc}") from None
        if len(data) != expected or not inflate.eof:
            raise CodecError(f"array {entry['name']!r} is damaged: it inflates to the wrong size")
    shape, dtype = tuple(entry["shape"]), np.dtype(entry["dtype"])
    blocks, offset = [], 0
    for block_dtype, block_shape in _sections(entry["enc"], dtype, shape):
        count = math.prod(block_shape)
        blocks.append(np.frombuffer(data, block_dtype, count, offset).reshape(block_shape))
        offset += count * block_dtype.itemsize
    return _assemble(entry["enc"], dtype, blocks)


def array_entry(header: dict, name: str) -> dict:
    """The header entry of array `name` (KeyError when the record has none)."""
    for entry in header["arrays"]:
        if entry["name"] == name:
            return entry
    raise KeyError(name)


def _slice_plan(entry: dict, index: tuple[int, ...]) -> tuple[list[tuple[int, int]], list[tuple[int, int, int]]]:
    """How to read `array[index]`: the byte ranges [start, end) to read, from the array's data start (the
    slice's blocks, widened to whole checksum chunks when the payload has checksums, overlaps merged), and
    for each block, (range number, offset in that range, length)."""
    ranges: list[tuple[int, int]] = []
    pieces = []
    offset = 0
    for block_dtype, block_shape in _sections(entry["enc"], np.dtype(entry["dtype"]), tuple(entry["shape"])):
        inner = math.prod(block_shape[len(index) :]) * block_dtype.itemsize
        flat = int(np.ravel_multi_index(index, block_shape[: len(index)])) if index else 0
        start, end = offset + flat * inner, offset + (flat + 1) * inner
        if "crc" in entry:
            start, end = start // CHUNK * CHUNK, min(-(-end // CHUNK) * CHUNK, entry["nbytes"])
        if ranges and start <= ranges[-1][1]:
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], end))
        else:
            ranges.append((start, end))
        pieces.append((len(ranges) - 1, offset + flat * inner - ranges[-1][0], inner))
        offset += math.prod(block_shape) * block_dtype.itemsize
    return ranges, pieces


def slice_spans(header: dict, data_offset: int, name: str, index: tuple[int, ...]) -> list[tuple[int, int]]:
    """(offset, length) byte ranges, from the payload's start, holding `array[index]` of array `name` (and
    the rest of the checksum chunks they touch), where `index` picks positions along leading axes (not the
    last axis of a quantized array). Decode the bytes read from them with `decode_slice`. Compressed arrays
    have no spans: read them whole."""
    entry = array_entry(header, name)
    offset = data_offset + sum(e["nbytes"] for e in header["arrays"][: header["arrays"].index(entry)])
    shape = tuple(entry["shape"])
    quantized = entry["enc"] == "u8q"
    if len(index) > len(shape) - (1 if quantized else 0):
        raise IndexError(f"array {name!r} of shape {shape} cannot be indexed by {len(index)} leading positions")
    for i, (position, size) in enumerate(zip(index, shape)):
        if not 0 <= position < size:
            raise IndexError(f"position {position} is out of range for axis {i} of array {name!r} (size {size})")
    if entry["comp"] != "none":
        raise CodecError(f"array {name!r} is compressed: it can only be decoded whole")
    return [(offset + start, end - start) for start, end in _slice_plan(entry, index)[0]]


def decode_slice(header: dict, name: str, index: tuple[int, ...], chunks: list[bytes]) -> np.ndarray:
    """`array[index]` of array `name` from the bytes of its `slice_spans`, in order, checked against the
    array's checksums (CodecError when damaged)."""
    entry = array_entry(header, name)
    ranges, pieces = _slice_plan(entry, index)
    if len(chunks) != len(ranges) or any(len(c) != end - start for c, (start, end) in zip(chunks, ranges)):
        raise CodecError(f"array {name!r}: the bytes read do not match its slice spans")
    for chunk, (start, _) in zip(chunks, ranges):
        _verify(entry, bytes(chunk), start // CHUNK)
    shape, dtype = tuple(entry["shape"]), np.dtype(entry["dtype"])
    blocks = [
        np.frombuffer(chunks[r], block_dtype, length // block_dtype.itemsize, offset).reshape(block_shape[len(index) :])
        for (r, offset, length), (block_dtype, block_shape) in zip(pieces, _sections(entry["enc"], dtype, shape))
    ]
    return _assemble(entry["enc"], dtype, blocks)


def decode_record(
    payload: bytes, names: set[str] | None = None, exclude: Iterable[str] = ()
) -> tuple[dict, dict[str, np.ndarray]]:
    """Decode a payload; `names` limits which arrays are decoded (and checked), `exclude` skips some."""
    exclude = set(exclude)
    parsed = parse_header(payload, len(payload))
    if parsed is None:
        raise CodecError("truncated payload")
    header, offset = parsed
    arrays = {}
    for entry in header["arrays"]:
        end = offset + entry["nbytes"]
        if (names is None or entry["name"] in names) and entry["name"] not in exclude:
            arrays[entry["name"]] = _decode_array(entry, payload[offset:end])
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
    except (ValueError, RecursionError) as exc:
        raise CodecError("corrupt sidecar reference") from exc
    if (
        not isinstance(ref, dict)
        or set(ref) != {"file", "offset", "length"}
        or not isinstance(ref["file"], str)
        or not all(type(ref[k]) is int and 0 <= ref[k] < 1 << 62 for k in ("offset", "length"))
    ):
        raise CodecError("corrupt sidecar reference")
    return ref
