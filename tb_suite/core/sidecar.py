"""Reading byte ranges of sidecar files (docs/storage.md): local files, or URLs through fsspec."""

from __future__ import annotations

import os

from tb_suite.core.paths import is_remote


class SidecarError(OSError):
    """A sidecar file that is missing, unreadable or shorter than a reference says."""


def read_ranges(path: str, ranges: list[tuple[int, int]]) -> list[bytes]:
    """The bytes of each (offset, length) range of one file, opened once when local."""
    try:
        chunks = _read_remote(path, ranges) if is_remote(path) else _read_local(path, ranges)
    except OSError as exc:
        raise SidecarError(f"sidecar file unreadable: {exc.strerror or exc}") from None
    if any(len(chunk) != length for chunk, (_, length) in zip(chunks, ranges)):
        raise SidecarError(f"sidecar {os.path.basename(path)} is truncated")
    return chunks


def _read_local(path: str, ranges: list[tuple[int, int]]) -> list[bytes]:
    chunks = []
    with open(path, "rb") as f:
        for offset, length in ranges:
            f.seek(offset)
            chunks.append(f.read(length))
    return chunks


def _read_remote(path: str, ranges: list[tuple[int, int]]) -> list[bytes]:
    """Ranged reads through fsspec, as the writer writes URLs (TensorBoard's GFile cannot seek); filesystems
    with native range requests (gcsfs, s3fs) fetch the ranges concurrently."""
    try:
        import fsspec.core

        fs, fs_path = fsspec.core.url_to_fs(path)
    except (ImportError, ValueError) as exc:  # no fsspec, an unknown protocol, or its package missing
        raise SidecarError(
            f"sidecar {path} cannot be read: {exc} (URL logdirs need fsspec and the protocol's package, "
            "pip install 'tb-suite[remote]')"
        ) from None
    if not ranges:
        return []
    try:
        return fs.cat_ranges(
            [fs_path] * len(ranges),
            [offset for offset, _ in ranges],
            [offset + length for offset, length in ranges],
            on_error="raise",
        )
    except OSError:
        raise
    except Exception as exc:  # remote filesystems raise their own errors (HTTP, credentials): not a 500
        raise SidecarError(f"sidecar file unreadable: {type(exc).__name__}: {exc}") from None
