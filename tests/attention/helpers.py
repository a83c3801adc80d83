"""Shared helpers for the attention tests: softmax attention and reading stored records back."""

from __future__ import annotations

import os

import numpy as np

from tb_suite.attention import metadata
from tb_suite.core.reader import read_records


def softmax_attention(shape, seed=0, sharpness=3.0) -> np.ndarray:
    """Random attention rows (softmax of scaled normals) of `shape` [..., Q, K], float32."""
    logits = np.random.default_rng(seed).normal(size=shape).astype(np.float32) * sharpness
    weights = np.exp(logits - logits.max(-1, keepdims=True))
    return (weights / weights.sum(-1, keepdims=True)).astype(np.float32)


def stored_records(logdir, tag):
    """{step: (meta, arrays)} of every record of `tag` in `logdir` (one run)."""
    return read_records(logdir, metadata.PLUGIN_NAME)[tag]


def event_files(logdir):
    return [name for name in os.listdir(logdir) if name.startswith("events.out.tfevents")]
