"""Paths that are local file names or fsspec / TensorBoard URLs ("gs://bucket/run"); no I/O here."""

from __future__ import annotations

import os


def is_remote(path: str) -> bool:
    """True for a URL, which is joined with "/" and opened through fsspec or TensorBoard's file layer."""
    return "://" in path


def join(base: str, *parts: str) -> str:
    return "/".join([base.rstrip("/"), *parts]) if is_remote(base) else os.path.join(base, *parts)
