"""Downsampling attention maps into tiles the browser can draw at once (numpy only: used by the
writer thread and by the plugin)."""

from __future__ import annotations

import numpy as np


def block_starts(length: int, size: int) -> tuple[np.ndarray, int]:
    """Start indices of ceil(length / stride) blocks of `stride` positions, with stride = ceil(length / size)."""
    stride = max(1, -(-length // max(1, size)))
    return np.arange(0, length, stride), stride


def downsample(maps: np.ndarray, size: int) -> tuple[np.ndarray, tuple[int, int]]:
    """Block means over the last two axes so that neither exceeds `size` (the last block of an axis
    may be narrower). Returns the tiles and the (query, key) strides; strides of 1 return `maps` as is."""
    starts_q, stride_q = block_starts(maps.shape[-2], size)
    starts_k, stride_k = block_starts(maps.shape[-1], size)
    if stride_q == 1 and stride_k == 1:
        return maps, (1, 1)
    sums = np.add.reduceat(np.add.reduceat(maps.astype(np.float32, copy=False), starts_q, axis=-2), starts_k, axis=-1)
    counts_q = np.diff(np.append(starts_q, maps.shape[-2])).astype(np.float32)
    counts_k = np.diff(np.append(starts_k, maps.shape[-1])).astype(np.float32)
    return sums / counts_q[:, None] / counts_k[None, :], (stride_q, stride_k)
