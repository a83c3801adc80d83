import json
import struct

import numpy as np
import pytest

from tb_suite.core import codec


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
    payload = codec.encode_record({}, {"v": values, "z": np.zeros(10000, np.int32)}, encodings={"v": "f16"}, compress=True)
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
    header = json.dumps({"v": codec.VERSION + 1, "meta": {}, "arrays": []}).encode()
    with pytest.raises(codec.CodecError, match="newer"):
        codec.decode_record(codec.MAGIC + struct.pack("<I", len(header)) + header)


def test_strings_are_refused_as_arrays():
    with pytest.raises(TypeError):
        codec.encode_record({}, {"s": np.array(["a", "b"])})
    with pytest.raises(ValueError):
        codec.encode_record({}, {"a": np.ones(1)}, encodings={"b": "u8q"})


def test_reference_round_trip():
    value = codec.encode_reference("f.tbs", 123, 456)
    assert codec.decode_reference(value) == {"file": "f.tbs", "offset": 123, "length": 456}
    assert codec.decode_reference(codec.encode_record({}, {})) is None


def _parse_wire(body: bytes):
    """`codec.decode_wire`, checking that every array starts past the header on an 8-byte boundary."""
    meta, arrays = codec.decode_wire(body)
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
    meta, decoded = _parse_wire(codec.encode_wire({"name": "<b>x</b>"}, arrays))
    assert meta == {"name": "<b>x</b>"}
    assert decoded["i64"].dtype == np.float64 and decoded["f16"].dtype == np.float32
    assert decoded["b"].dtype == np.uint8
    for name, array in arrays.items():
        np.testing.assert_array_equal(decoded[name], array.astype(decoded[name].dtype))


def test_wire_format_header_growth_keeps_offsets_valid():
    arrays = {f"array_{i}": np.arange(i + 1, dtype=np.float32) for i in range(200)}
    _, decoded = _parse_wire(codec.encode_wire({}, arrays))
    assert all(np.array_equal(decoded[k], v) for k, v in arrays.items())
