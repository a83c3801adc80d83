"""Paths that are local file names or fsspec / TensorBoard URLs ("gs://bucket/run"); no I/O here."""

from __future__ import annotations

import os


def is_remote(path: str) -> bool:
    """True for a URL, which is joined with "/" and opened through fsspec or TensorBoard's file layer."""
    return "://" in path


def join(base: str, *parts: str) -> str:
    """`parts` under `base`; a URL drops "." parts (TensorBoard's name for a run that is the logdir itself),
    which object stores would take literally."""
    if is_remote(base):
        return "/".join([base.rstrip("/"), *(part for part in parts if part != ".")])
    return os.path.join(base, *parts)
