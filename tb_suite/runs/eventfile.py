"""Scalar event files from columns, encoded with numpy: an import of a million rows cannot afford one protobuf
object per value (about 10 us each). Each row becomes one `Event{wall_time, step, summary}` whose values are
`Summary.Value{tag, simple_value}` (float32, TensorBoard's classic scalar encoding) for the row's non-missing
cells; rows with the same missing-cell pattern and step width share one byte layout and are encoded together.
TFRecord framing as in `tb_suite.core.events`.
"""

from __future__ import annotations

import os
import secrets
import socket
import struct
import time
from collections.abc import Sequence

import google_crc32c
import numpy as np
from tensorboard.compat.proto import event_pb2

from tb_suite.core.events import frame_record, masked_crc32c

CHUNK_ROWS = 65536


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _varint_width(values: np.ndarray) -> np.ndarray:
    """Bytes of each non-negative int64's varint."""
    width = np.ones(values.shape, np.int64)
    for k in range(1, 10):
        width += values >= (1 << (7 * k))
    return width


def _masked_crcs(rows: np.ndarray) -> np.ndarray:
    crcs = np.fromiter((google_crc32c.value(row.tobytes()) for row in rows), np.uint64, len(rows))
    return (((crcs >> 15) | (crcs << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _layout_groups(present: np.ndarray, step_width: np.ndarray) -> list[tuple[np.ndarray, int, np.ndarray]]:
    """(columns present, step varint width, row indices) per distinct byte layout. Layouts are keyed by one
    integer (a bit per column, the width above them) when they fit 64 bits: sorting 1-D keys is much faster."""
    if present.shape[1] <= 56:
        bits = np.uint64(1) << np.arange(present.shape[1], dtype=np.uint64)
        codes = (present.astype(np.uint64) * bits).sum(axis=1, dtype=np.uint64) | (
            step_width.astype(np.uint64) << np.uint64(56)
        )
        if codes.size and (codes == codes[0]).all():  # one layout: the usual CSV
            unique, group_of = codes[:1], np.zeros(len(codes), np.int64)
        else:
            unique, group_of = np.unique(codes, return_inverse=True)
        mask = (np.uint64(1) << np.uint64(56)) - np.uint64(1)
        return [
            (
                np.flatnonzero((int(code) & int(mask)) >> np.arange(present.shape[1]) & 1),
                int(code) >> 56,
                np.flatnonzero(group_of.ravel() == g) if len(unique) > 1 else np.arange(len(codes)),
            )
            for g, code in enumerate(unique)
        ]
    keys = np.concatenate(
        [np.packbits(present, axis=1, bitorder="little"), step_width[:, None].astype(np.uint8)], axis=1
    )
    unique, group_of = np.unique(keys, axis=0, return_inverse=True)
    return [
        (
            np.flatnonzero(np.unpackbits(key[:-1], bitorder="little")[: present.shape[1]]),
            int(key[-1]),
            np.flatnonzero(group_of.ravel() == g),
        )
        for g, key in enumerate(unique)
    ]


def encode_rows(tags: Sequence[str], steps: np.ndarray, wall_times: np.ndarray, values: np.ndarray) -> bytes:
    """Framed events, one per row in row order; `values` is (rows, len(tags)) float32, NaN = missing cell
    (a row with no cell is skipped). Steps are int64 >= 0."""
    rows = len(steps)
    values = np.asarray(values, np.float32)
    present = ~np.isnan(values)
    keep = present.any(axis=1)
    tag_bytes = [t.encode() for t in tags]
    value_prefix = [b"\x0a" + _varint(len(t)) + t + b"\x15" for t in tag_bytes]  # tag field, simple_value key
    value_items = [b"\x0a" + _varint(len(p) + 4) + p for p in value_prefix]  # Summary.value, minus the float
    step_width = _varint_width(steps)
    kept = np.flatnonzero(keep)
    layouts, group_rows = [], []
    for columns, width, members in _layout_groups(present[kept], step_width[kept]):
        summary_len = sum(len(value_items[c]) + 4 for c in columns)
        event_len = 9 + 1 + width + 1 + len(_varint(summary_len)) + summary_len
        layouts.append((columns, width, summary_len, event_len))
        group_rows.append(kept[members])
    encoded = []
    for (columns, width, summary_len, event_len), members in zip(layouts, group_rows):
        n = len(members)
        template = bytearray(b"\x09" + bytes(8) + b"\x10" + bytes(width) + b"\x2a" + _varint(summary_len))
        value_at = []
        for c in columns:
            template += value_items[c]
            value_at.append(len(template))
            template += bytes(4)
        data = np.tile(np.frombuffer(bytes(template), np.uint8), (n, 1))
        data[:, 1:9] = wall_times[members].astype("<f8").view(np.uint8).reshape(n, 8)
        step = steps[members].astype(np.uint64)
        for k in range(width):
            digit = (step >> np.uint64(7 * k)) & np.uint64(0x7F)
            data[:, 10 + k] = (digit | np.uint64(0x80 if k < width - 1 else 0)).astype(np.uint8)
        for c, at in zip(columns, value_at):
            data[:, at : at + 4] = values[members, c].astype("<f4").view(np.uint8).reshape(n, 4)
        frames = np.empty((n, 16 + event_len), np.uint8)
        header = struct.pack("<Q", event_len)
        frames[:, :8] = np.frombuffer(header, np.uint8)
        frames[:, 8:12] = np.frombuffer(struct.pack("<I", masked_crc32c(header)), np.uint8)
        frames[:, 12 : 12 + event_len] = data
        frames[:, 12 + event_len :] = _masked_crcs(data).astype("<u4").view(np.uint8).reshape(n, 4)
        encoded.append((members, 16 + event_len, frames.tobytes()))
    if len(encoded) == 1:
        return encoded[0][2]
    # Several layouts: the frames go back into row order (TensorBoard's readers drop steps that go back).
    pieces: list = [b""] * rows
    for members, size, blob in encoded:
        for j, row in enumerate(members.tolist()):
            pieces[row] = blob[j * size : (j + 1) * size]
    return b"".join(pieces)


def event_file_name() -> str:
    # Without core.events.NAME_MARKER: these files hold only classic scalars (no plugin metadata), so the
    # core writer's scan of tb-suite event files for tag owners has nothing to find in them.
    return "events.out.tfevents.%010d.%s.%s.import-%s" % (
        time.time(),
        socket.gethostname(),
        os.getpid(),
        secrets.token_hex(4),
    )


class ScalarFile:
    """An event file of imported scalars, written under a temporary name (no "tfevents": TensorBoard would
    read it) and renamed into place by `commit`, so a failed import leaves nothing TensorBoard reads."""

    def __init__(self, run_dir: str):
        os.makedirs(run_dir, exist_ok=True)
        self.path = os.path.join(run_dir, event_file_name())
        self._temp = os.path.join(run_dir, f".tbs-import-{os.getpid()}-{id(self)}.tmp")
        self._file = open(self._temp, "wb")
        first = event_pb2.Event(wall_time=time.time(), file_version="brain.Event:2")
        self._file.write(frame_record(first.SerializeToString()))

    def write(self, tags: Sequence[str], steps: np.ndarray, wall_times: np.ndarray, values: np.ndarray) -> None:
        for start in range(0, len(steps), CHUNK_ROWS):
            end = start + CHUNK_ROWS
            self._file.write(encode_rows(tags, steps[start:end], wall_times[start:end], values[start:end]))

    def commit(self) -> str:
        self._file.close()
        os.replace(self._temp, self.path)
        return self.path

    def abort(self) -> None:
        self._file.close()
        if os.path.exists(self._temp):
            os.remove(self._temp)


class FollowFile:
    """An event file that rows keep being appended to (`tb-suite import --follow`), flushed after each batch."""

    def __init__(self, run_dir: str):
        os.makedirs(run_dir, exist_ok=True)
        self.path = os.path.join(run_dir, event_file_name())
        self._file = open(self.path, "ab")
        first = event_pb2.Event(wall_time=time.time(), file_version="brain.Event:2")
        self._file.write(frame_record(first.SerializeToString()))
        self._file.flush()

    def write(self, tags: Sequence[str], steps: np.ndarray, wall_times: np.ndarray, values: np.ndarray) -> None:
        self._file.write(encode_rows(tags, steps, wall_times, values))
        self._file.flush()

    def close(self) -> None:
        self._file.close()
