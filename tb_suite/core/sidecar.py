"""Reading byte ranges of sidecar files (docs/storage.md), local or remote through TensorBoard's file layer."""

from __future__ import annotations

import os

from tb_suite.core.paths import is_remote


class SidecarError(OSError):
    """A sidecar file that is missing, unreadable or shorter than a reference says."""


def read_ranges(path: str, ranges: list[tuple[int, int]]) -> list[bytes]:
    """The bytes of each (offset, length) range of one file, opened once."""
    if is_remote(path):
        from tensorboard.compat import tf

        opener = tf.io.gfile.GFile
    else:
        opener = open
    chunks = []
    try:
        with opener(path, "rb") as f:
            for offset, length in ranges:
                f.seek(offset)
                chunks.append(f.read(length))
    except OSError as exc:
        raise SidecarError(f"sidecar file unreadable: {exc.strerror or exc}") from None
    if any(len(chunk) != length for chunk, (_, length) in zip(chunks, ranges)):
        raise SidecarError(f"sidecar {os.path.basename(path)} is truncated")
    return chunks
