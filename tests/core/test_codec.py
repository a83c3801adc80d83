import struct

import numpy as np
import pytest

from tb_suite.core import codec, wire
from tests.core.damage import v1_from_header, v1_payload


def test_round_trip_raw_keeps_dtype_and_values():
    rng = np.random.default_rng(0)
    arrays = {
        "f32": rng.random((3, 4), dtype=np.float32),
        "i64": rng.integers(-5, 5, (7,)),
        "u8": rng.integers(0, 255, (2, 2, 3), dtype=np.uint8),
        "scalar": np.float64(3.5),
        "empty": np.zeros((0, 4), np.float32),
    }
    meta, decoded = codec.decode_record(codec.encode_record({"a": [1, "x"]}, arrays))
    assert meta == {"a": [1, "x"]}
    for name, array in arrays.items():
        assert decoded[name].dtype == np.asarray(array).dtype
        np.testing.assert_array_equal(decoded[name], array)


def test_u8q_error_is_at_most_1_255_of_each_rows_range():
    rng = np.random.default_rng(1)
    values = rng.random((4, 5, 33), dtype=np.float32) * rng.random((4, 5, 1), dtype=np.float32) * 10
    _, decoded = codec.decode_record(codec.encode_record({}, {"v": values}, encodings={"v": "u8q"}))
    span = values.max(-1, keepdims=True) - values.min(-1, keepdims=True)
    assert np.all(np.abs(decoded["v"] - values) <= span / 255 + 1e-6)


def test_u8q_constant_rows_are_exact():
    values = np.full((3, 8), 0.25, np.float32)
    _, decoded = codec.decode_record(codec.encode_record({}, {"v": values}, encodings={"v": "u8q"}))
    np.testing.assert_array_equal(decoded["v"], values)


def test_u8q_costs_about_one_byte_per_value():
    values = np.random.default_rng(2).random((12, 12, 128, 128), dtype=np.float32)
    payload = codec.encode_record({}, {"v": values}, encodings={"v": "u8q"})
    assert len(payload) / values.size <= 1.05


def test_f16_and_compression_round_trip():
    values = np.linspace(0, 1, 4096, dtype=np.float32).reshape(64, 64)
    payload = codec.encode_record(
        {}, {"v": values, "z": np.zeros(10000, np.int32)}, encodings={"v": "f16"}, compress=True
    )
    assert len(payload) < values.size * 2 + 10000
    _, decoded = codec.decode_record(payload)
    np.testing.assert_allclose(decoded["v"], values, atol=1e-3)
    np.testing.assert_array_equal(decoded["z"], 0)


def test_decode_selects_and_excludes_arrays():
    payload = codec.encode_record({}, {"a": np.ones(2), "b": np.zeros(3), "c": np.arange(4)})
    assert set(codec.decode_record(payload, names={"a", "c"})[1]) == {"a", "c"}
    assert set(codec.decode_record(payload, exclude={"b"})[1]) == {"a", "c"}


def test_corrupt_truncated_and_newer_payloads_are_rejected():
    payload = codec.encode_record({}, {"a": np.ones(100)})
    with pytest.raises(codec.CodecError):
        codec.decode_record(b"XXXX" + payload[4:])
    with pytest.raises(codec.CodecError):
        codec.decode_record(payload[:-10])
    with pytest.raises(codec.CodecError, match="newer"):
        codec.decode_record(b"TBS3" + payload[4:])


def test_format_1_payloads_still_decode_whole_and_in_slices():
    values = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    payload = v1_payload({"m": [1, "x"]}, {"i": np.arange(5, dtype=np.int64), "v": values})
    meta, arrays = codec.decode_record(payload)
    assert meta == {"m": [1, "x"]}
    np.testing.assert_array_equal(arrays["v"], values)
    header, offset = codec.parse_header(payload)
    spans = codec.slice_spans(header, offset, "v", (1, 2))
    chunks = [payload[start : start + length] for start, length in spans]
    np.testing.assert_array_equal(codec.decode_slice(header, "v", (1, 2), chunks), values[1, 2])


def _arrays_of_every_encoding():
    rng = np.random.default_rng(4)
    return (
        {
            "raw": rng.random((40, 300)).astype(np.float32),  # 48 KB: several checksum chunks
            "f16": rng.random((7, 5)).astype(np.float32),
            "u8q": rng.random((6, 50, 33)).astype(np.float32),
            "zlib": np.repeat(np.arange(50, dtype=np.int32), 40),
        },
        {"f16": "f16", "u8q": "u8q"},
    )


def test_every_damaged_byte_of_the_data_is_refused():
    arrays, encodings = _arrays_of_every_encoding()
    payload = codec.encode_record({"m": 1}, arrays, encodings=encodings, compress=True)
    header, start = codec.parse_header(payload)
    assert {e["name"]: e["comp"] for e in header["arrays"]}["zlib"] == "zlib"
    for position in range(start, len(payload), 7):
        damaged = bytearray(payload)
        damaged[position] ^= 0xFF
        with pytest.raises(codec.CodecError, match="damaged"):
            codec.decode_record(bytes(damaged))


def test_every_flipped_header_bit_is_refused():
    payload = codec.encode_record(
        {"layers": 2, "names": ["a"]}, {"v": np.ones((2, 3), np.float32)}, encodings={"v": "u8q"}
    )
    _, start = codec.parse_header(payload)
    for bit in range(start * 8):
        damaged = bytearray(payload)
        damaged[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(codec.CodecError):
            codec.decode_record(bytes(damaged))


def test_a_slice_reads_and_checks_only_the_chunks_it_touches():
    arrays, encodings = _arrays_of_every_encoding()
    payload = codec.encode_record({}, arrays, encodings=encodings)
    header, offset = codec.parse_header(payload)
    for name, index in (("raw", (13,)), ("raw", (39,)), ("u8q", (5, 49)), ("f16", (6, 4)), ("u8q", ())):
        spans = codec.slice_spans(header, offset, name, index)
        if index:  # the slice's bytes, widened to whole chunks: at most two more chunks per block
            assert sum(length for _, length in spans) <= arrays[name][index].size * 4 + 2 * 3 * codec.CHUNK
        chunks = [payload[start : start + length] for start, length in spans]
        np.testing.assert_array_equal(
            codec.decode_slice(header, name, index, chunks), codec.decode_record(payload, {name})[1][name][index]
        )
        for position in {spans[0][0], spans[-1][0] + spans[-1][1] - 1}:  # damage inside what the slice reads
            damaged = bytearray(payload)
            damaged[position] ^= 0x10
            chunks = [bytes(damaged[start : start + length]) for start, length in spans]
            with pytest.raises(codec.CodecError, match="damaged"):
                codec.decode_slice(header, name, index, chunks)
    # Damage outside the chunks a slice touches does not stop that slice.
    spans = codec.slice_spans(header, offset, "raw", (0,))
    damaged = bytearray(payload)
    damaged[offset + codec.array_entry(header, "raw")["nbytes"] - 1] ^= 1
    chunks = [bytes(damaged[start : start + length]) for start, length in spans]
    np.testing.assert_array_equal(codec.decode_slice(header, "raw", (0,), chunks), arrays["raw"][0])


MALFORMED_HEADERS = {
    "dtype floaT32": lambda h: h["arrays"][0].update(dtype="floaT32"),
    "dtype object": lambda h: h["arrays"][0].update(dtype="object"),
    "dtype not a string": lambda h: h["arrays"][0].update(dtype=["float32"]),
    "unknown encoding": lambda h: h["arrays"][0].update(enc="u9q"),
    "quantized integers": lambda h: h["arrays"][1].update(enc="u8q"),
    "unknown compression": lambda h: h["arrays"][0].update(comp="lz4"),
    "negative axis": lambda h: h["arrays"][0].update(shape=[-2, 3]),
    "float axis": lambda h: h["arrays"][0].update(shape=[2.0, 3]),
    "bool axis": lambda h: h["arrays"][0].update(shape=[True, 6]),
    "shape a string": lambda h: h["arrays"][0].update(shape="2,3"),
    "shape vs bytes": lambda h: h["arrays"][0].update(shape=[3, 3]),
    "nbytes vs shape": lambda h: h["arrays"][0].update(nbytes=20),
    "nbytes string": lambda h: h["arrays"][0].update(nbytes="24"),
    "huge shape": lambda h: h["arrays"][0].update(shape=[1 << 40, 1 << 40], comp="zlib"),
    "name not a string": lambda h: h["arrays"][0].update(name=3),
    "duplicate names": lambda h: h["arrays"][1].update(name="v"),
    "missing key": lambda h: h["arrays"][0].pop("enc"),
    "extra key": lambda h: h["arrays"][0].update(extra=1),
    "entry not an object": lambda h: h["arrays"].append([1]),
    "arrays not a list": lambda h: h.update(arrays={"v": 1}),
    "meta not an object": lambda h: h.update(meta=[1]),
    "renamed key": lambda h: h.update(mota=h.pop("meta")),
    "version string": lambda h: h.update(v="1"),
    "version 2 in format 1": lambda h: h.update(v=2),
}


@pytest.mark.parametrize("damage", sorted(MALFORMED_HEADERS))
def test_malformed_headers_raise_codec_error(damage):
    payload = v1_payload({}, {"v": np.ones((2, 3), np.float32), "i": np.arange(4, dtype=np.int32)})
    header, start = codec.parse_header(payload)
    MALFORMED_HEADERS[damage](header)
    with pytest.raises(codec.CodecError, match="corrupt payload header|payload is"):
        codec.decode_record(v1_from_header(header, payload[start:]))


def test_every_flipped_bit_of_an_unchecksummed_header_is_refused_or_decodes():
    """Format 1 has no checksum: the header checks alone must turn every damaged header into a CodecError."""
    payload = v1_payload({"a": [1, "x"]}, {"v": np.ones((2, 3), np.float32), "i": np.arange(4, dtype=np.int32)})
    _, start = codec.parse_header(payload)
    refused = 0
    for bit in range(start * 8):
        damaged = bytearray(payload)
        damaged[bit // 8] ^= 1 << (bit % 8)
        try:
            meta, arrays = codec.decode_record(bytes(damaged))
        except codec.CodecError:
            refused += 1
        else:  # a flip that leaves a valid header (a changed meta value): well-formed arrays
            assert isinstance(meta, dict) and all(isinstance(a, np.ndarray) for a in arrays.values())
    assert refused > 0.8 * start * 8


def test_strings_are_refused_as_arrays():
    with pytest.raises(TypeError):
        codec.encode_record({}, {"s": np.array(["a", "b"])})
    with pytest.raises(ValueError):
        codec.encode_record({}, {"a": np.ones(1)}, encodings={"b": "u8q"})


def test_reference_round_trip():
    value = codec.encode_reference("f.tbs", 123, 456)
    assert codec.decode_reference(value) == {"file": "f.tbs", "offset": 123, "length": 456}
    assert codec.decode_reference(codec.encode_record({}, {})) is None


@pytest.mark.parametrize(
    "text",
    [
        '{"file": "f", "offset": -1, "length": 4}',
        '{"file": "f", "offset": "1", "length": 4}',
        '{"file": "f", "offset": 1.5, "length": 4}',
        '{"file": "f", "offset": 99999999999999999999, "length": 4}',
        '{"file": "f", "offset": true, "length": 4}',
        '{"file": 7, "offset": 1, "length": 4}',
        '{"file": "f", "offset": 1}',
        "[1]",
        '{"file": "f", "offset": 1, "length": 4',
    ],
)
def test_malformed_references_raise_codec_error(text):
    with pytest.raises(codec.CodecError):
        codec.decode_reference(codec.REF_MAGIC + text.encode())


def _parse_wire(body: bytes):
    """`wire.decode_wire`, checking that every array starts past the header on an 8-byte boundary."""
    meta, arrays = wire.decode_wire(body)
    (header_length,) = struct.unpack_from("<I", body)
    start = np.frombuffer(body, np.uint8).ctypes.data
    for name, array in arrays.items():
        offset = array.ctypes.data - start
        assert offset % 8 == 0 and offset >= 4 + header_length, (name, offset)
    return meta, arrays


def test_wire_format_aligns_arrays_and_converts_types_javascript_lacks():
    arrays = {
        "i64": np.arange(5, dtype=np.int64),
        "f16": np.ones((2, 3), np.float16),
        "u8": np.arange(3, dtype=np.uint8),
        "b": np.array([True, False]),
        "f32": np.arange(7, dtype=np.float32),
    }
    meta, decoded = _parse_wire(wire.encode_wire({"name": "<b>x</b>"}, arrays))
    assert meta == {"name": "<b>x</b>"}
    assert decoded["i64"].dtype == np.float64 and decoded["f16"].dtype == np.float32
    assert decoded["b"].dtype == np.uint8
    for name, array in arrays.items():
        np.testing.assert_array_equal(decoded[name], array.astype(decoded[name].dtype))


def test_wire_format_header_growth_keeps_offsets_valid():
    arrays = {f"array_{i}": np.arange(i + 1, dtype=np.float32) for i in range(200)}
    _, decoded = _parse_wire(wire.encode_wire({}, arrays))
    assert all(np.array_equal(decoded[k], v) for k, v in arrays.items())
