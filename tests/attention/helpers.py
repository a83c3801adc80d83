"""Shared helpers for the attention tests: softmax attention and reading stored records back."""

from __future__ import annotations

import os

import numpy as np
from tensorboard.backend.event_processing import event_accumulator

from tb_suite.core import codec


def softmax_attention(shape, seed=0, sharpness=3.0) -> np.ndarray:
    """Random attention rows (softmax of scaled normals) of `shape` [..., Q, K], float32."""
    logits = np.random.default_rng(seed).normal(size=shape).astype(np.float32) * sharpness
    weights = np.exp(logits - logits.max(-1, keepdims=True))
    return (weights / weights.sum(-1, keepdims=True)).astype(np.float32)


def stored_records(logdir, tag):
    """{step: (meta, arrays)} of every record of `tag` in `logdir` (one run)."""
    acc = event_accumulator.EventAccumulator(str(logdir), size_guidance={event_accumulator.TENSORS: 0})
    acc.Reload()
    records = {}
    for event in acc.Tensors(tag):
        value = event.tensor_proto.string_val[0]
        ref = codec.decode_reference(value)
        if ref is not None:
            with open(os.path.join(logdir, "plugins", "tbs_attention", ref["file"]), "rb") as f:
                f.seek(ref["offset"])
                value = f.read(ref["length"])
        records[event.step] = codec.decode_record(value)
    return records


def event_files(logdir):
    return [name for name in os.listdir(logdir) if name.startswith("events.out.tfevents")]
