"""`log_attention` and `log_head_stats`: validate on the caller's thread, reduce and encode on the writer's."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from typing import Any

import numpy as np

from tb_suite.attention import metadata, tiles
from tb_suite.core.validate import (
    check_finite,
    check_nonempty,
    check_numeric,
    check_rank,
    check_step,
    check_tag,
    to_numpy,
)
from tb_suite.core.writer import as_writer

PRECISIONS = {"u8": "u8q", "f16": "f16"}
ROW_SUM_TOLERANCE = 1e-2
# Longer inputs get precomputed thumbnails (the grid then reads 64x64 per head, not the whole record);
# rollout (L matrix products of Q x Q) is computed up to ROLLOUT_MAX_TOKENS.
THUMBNAIL_ABOVE = 256
THUMBNAIL_SIZE = 64
ROLLOUT_MAX_TOKENS = 1024


def _layers(attentions: Any) -> list[np.ndarray]:
    """One `[B, H, Q, K]` float array per layer (views of the caller's CPU tensors, not yet copied)."""
    if isinstance(attentions, (tuple, list)):
        if not attentions:
            raise ValueError("attentions is empty: expected one [B, H, Q, K] tensor per layer")
        layers = []
        for i, layer in enumerate(attentions):
            layer = to_numpy(layer, f"attentions[{i}]")
            check_rank(layer, f"attentions[{i}]", (4,))
            if layers and layer.shape != layers[0].shape:
                raise ValueError(
                    f"attentions[{i}] has shape {layer.shape} but attentions[0] has {layers[0].shape}: "
                    "every layer needs the same [B, H, Q, K]"
                )
            layers.append(layer)
    else:
        stacked = to_numpy(attentions, "attentions")
        check_rank(stacked, "attentions", (4, 5))
        layers = list(stacked[:, None] if stacked.ndim == 4 else stacked)
    for layer in layers:
        if layer.dtype.kind != "f":
            raise TypeError(f"attentions must hold floating-point weights, got dtype {layer.dtype}")
    if 0 in layers[0].shape:
        raise ValueError(f"attentions is empty: per-layer shape {layers[0].shape}")
    return layers


def _token_lists(tokens: Any, name: str, batch: int, length: int, axis: str) -> list[list[str]]:
    """One list of `length` strings per example, from one shared list or one list per example."""
    if isinstance(tokens, (str, bytes)) or not isinstance(tokens, Sequence):
        raise TypeError(f"{name} must be a list of strings (or one list per example), got {type(tokens).__name__}")
    nested = len(tokens) > 0 and all(isinstance(t, Sequence) and not isinstance(t, (str, bytes)) for t in tokens)
    per_example = [list(t) for t in tokens] if nested else [list(tokens)] * batch
    if len(per_example) != batch:
        raise ValueError(f"{name} has {len(per_example)} lists but the batch has {batch} examples")
    for b, example in enumerate(per_example):
        if len(example) != length:
            where = f"{name}[{b}]" if nested else name
            raise ValueError(f"{where} has {len(example)} tokens but the attention has {axis}={length}")
    return [[str(token) for token in example] for example in per_example]


def _keep(mask: Any, name: str, batch: int, length: int) -> np.ndarray:
    """Boolean `[B, length]`: True for the real tokens."""
    if mask is None:
        return np.ones((batch, length), dtype=bool)
    mask = to_numpy(mask, name)
    check_numeric(mask, name)
    if mask.ndim == 1 and batch == 1:
        mask = mask[None]
    if mask.shape != (batch, length):
        raise ValueError(f"{name} must have shape [{batch}, {length}] (1 = token, 0 = padding), got {mask.shape}")
    keep = mask != 0
    empty = np.flatnonzero(~keep.any(axis=1))
    if empty.size:
        raise ValueError(f"{name}[{empty[0]}] marks every token as padding")
    return keep


def _check_distributions(layers: list[np.ndarray], keep_q: np.ndarray) -> None:
    """Every kept query row is a distribution over the keys: no NaN/Inf, nothing negative, sum 1."""
    for i, layer in enumerate(layers):
        low = layer.min()
        sums = layer.sum(axis=-1, dtype=np.float32)  # [B, H, Q]
        bad_sum = ~(np.abs(sums - 1) <= ROW_SUM_TOLERANCE) & keep_q[:, None, :]
        if not (low >= 0) or bad_sum.any():
            rows = layer[np.broadcast_to(keep_q[:, None, :], sums.shape)]
            if not np.isfinite(rows).all():
                raise ValueError(f"attentions (layer {i}) contains NaN or Inf weights")
            if (rows < 0).any():
                raise ValueError(f"attentions (layer {i}) contains negative weights: rows must be distributions")
            if bad_sum.any():
                b, h, q = np.argwhere(bad_sum)[0]
                raise ValueError(
                    f"attentions (layer {i}, example {b}, head {h}, query {q}) sums to {sums[b, h, q]:.4f}, not 1: "
                    "rows must be softmax distributions (log in eval mode: attention dropout rescales rows)"
                )


def _rollout(weights: np.ndarray) -> np.ndarray:
    import torch

    from tb_suite.attention.compute import rollout

    return rollout(torch.from_numpy(weights)).numpy()


def _plan(batch: int, keep_q: np.ndarray, keep_k: np.ndarray, self_attention: bool, precision: str) -> dict:
    """The encoding of each array the record will hold."""
    can_rollout = self_attention and importlib.util.find_spec("torch") is not None
    encodings = {}
    for b in range(batch):
        num_q, num_k = int(keep_q[b].sum()), int(keep_k[b].sum())
        encodings[metadata.attention_array(b)] = PRECISIONS[precision]
        if can_rollout and num_q <= ROLLOUT_MAX_TOKENS:
            encodings[metadata.rollout_array(b)] = "u8q"
        if max(num_q, num_k) > THUMBNAIL_ABOVE:
            encodings[metadata.thumbnail_array(b)] = "u8q"
    return encodings


def _example_arrays(layers: list[np.ndarray], b: int, keep_q: np.ndarray, keep_k: np.ndarray, planned) -> dict:
    """Example b's arrays: its weights with padding cut away, its rollout and thumbnails when planned."""
    qi, ki = np.flatnonzero(keep_q[b]), np.flatnonzero(keep_k[b])
    weights = np.stack([layer[b] for layer in layers]).astype(np.float32, copy=False)
    if qi.size < weights.shape[-2] or ki.size < weights.shape[-1]:
        weights = weights[:, :, qi[:, None], ki[None, :]]
    arrays = {metadata.attention_array(b): weights}
    if metadata.rollout_array(b) in planned:
        arrays[metadata.rollout_array(b)] = _rollout(weights)
    if metadata.thumbnail_array(b) in planned:
        arrays[metadata.thumbnail_array(b)] = tiles.downsample(weights, THUMBNAIL_SIZE)[0]
    return arrays


def log_attention(
    writer: Any,
    tag: str,
    attentions: Any,
    *,
    tokens: Sequence,
    step: int,
    key_tokens: Sequence | None = None,
    mask: Any = None,
    precision: str = "u8",
) -> None:
    """Log attention weights of every layer and head for one step.

    `attentions`: a Hugging Face `outputs.attentions` tuple (one `[B, H, Q, K]` tensor per layer; run
    the model with `attn_implementation="eager"`, as `sdpa` returns none) or a tensor `[L, B, H, Q, K]`
    / `[L, H, Q, K]`. `tokens`: the Q query tokens, one list per example or one list for all;
    `key_tokens` likewise for the K keys when they differ (cross-attention). `mask`: `[B, Q]`
    (1 = token, 0 = padding, as `attention_mask`) for self-attention, or a pair
    `(query_mask [B, Q], key_mask [B, K])`; padding is cut away before storing. Each row must be a
    distribution (log in eval mode). `precision`: "u8" (default; about 1.04 bytes per value, error at
    most 1/255 of each row's range) or "f16". Inputs are checked here (errors name the argument and
    nothing is written); the weights are copied, then encoded and written on the writer's thread.
    Self-attention also stores the attention rollout.

    Example (with a Hugging Face model: `out.attentions`, `tokens=` from `tokenizer.convert_ids_to_tokens`,
    `mask=batch["attention_mask"]`):
        >>> import tempfile, torch, tb_suite as tbs
        >>> run = tempfile.mkdtemp()
        >>> attentions = torch.rand(2, 1, 4, 3, 3).softmax(-1)  # [layers, batch, heads, queries, keys]
        >>> with tbs.Writer(run) as writer:
        ...     tbs.log_attention(writer, "encoder", attentions, tokens=["the", "cat", "sat"], step=0)
        >>> meta, arrays = tbs.read_records(run, "tbs_attention")["encoder"][0]
        >>> meta["layers"], meta["heads"], meta["query_tokens"]
        (2, 4, [['the', 'cat', 'sat']])
    """
    tag, step = check_tag(tag), check_step(step)
    if not isinstance(precision, str) or precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {sorted(PRECISIONS)}, got {precision!r}")
    layers = _layers(attentions)
    batch, heads, num_q, num_k = layers[0].shape
    self_attention = key_tokens is None
    if self_attention and num_q != num_k:
        raise ValueError(f"attention is Q={num_q} x K={num_k}: pass key_tokens for cross-attention")
    query_lists = _token_lists(tokens, "tokens", batch, num_q, "Q")
    key_lists = query_lists if self_attention else _token_lists(key_tokens, "key_tokens", batch, num_k, "K")
    if isinstance(mask, tuple):
        if len(mask) != 2:
            raise ValueError("mask as a tuple must be (query_mask, key_mask)")
        keep_q, keep_k = _keep(mask[0], "mask[0]", batch, num_q), _keep(mask[1], "mask[1]", batch, num_k)
        if self_attention and not np.array_equal(keep_q, keep_k):
            raise ValueError(
                "mask: self-attention keeps the same tokens as queries and keys; pass one [B, Q] mask, "
                "or key_tokens for cross-attention"
            )
    else:
        keep_q = _keep(mask, "mask", batch, num_q)
        keep_k = keep_q if self_attention else np.ones((batch, num_k), dtype=bool)
    _check_distributions(layers, keep_q)
    # A private copy (about 0.4 ms for 9 MiB): the record is encoded later, on the writer's thread, and the
    # caller may reuse or modify its tensors as soon as this returns.
    layers = [np.array(layer, dtype=np.float32, copy=True) for layer in layers]

    encodings = _plan(batch, keep_q, keep_k, self_attention, precision)
    meta = {
        "layers": len(layers),
        "heads": heads,
        "examples": batch,
        "cross": not self_attention,
        "precision": precision,
        "rollout": [metadata.rollout_array(b) in encodings for b in range(batch)],
        "query_tokens": [[t for t, k in zip(example, keep) if k] for example, keep in zip(query_lists, keep_q)],
        "key_tokens": None
        if self_attention
        else [[t for t, k in zip(example, keep) if k] for example, keep in zip(key_lists, keep_k)],
    }

    def make_record():
        arrays = {}
        for b in range(batch):
            arrays.update(_example_arrays(layers, b, keep_q, keep_k, encodings))
        return meta, arrays

    as_writer(writer).write_record_later(
        metadata.PLUGIN_NAME,
        tag,
        step,
        make_record,
        content=metadata.create_content(metadata.KIND_ATTENTION),
        encodings=encodings,
        nbytes=sum(layer.nbytes for layer in layers),
    )


def _stat(value: Any, name: str, shape: tuple | None) -> np.ndarray:
    array = to_numpy(value, name)
    check_rank(array, name, (2,))
    check_nonempty(array, name)
    check_numeric(array, name)
    if shape is not None and array.shape != shape:
        raise ValueError(f"{name} has shape {array.shape} but the other statistics have {shape}")
    return array


def log_head_stats(
    writer: Any, tag: str, *, step: int, entropy: Any = None, importance: Any = None, mask: Any = None
) -> None:
    """Log per-head statistics for one step, each a `[L, H]` matrix (layers x heads): `entropy`
    (e.g. `tb_suite.attention.head_entropy`), `importance` (e.g. `tb_suite.attention.head_importance`)
    and `mask` (nonzero = the head is masked/pruned). Give at least one. The tab shows them as
    layer x head heatmaps with masked heads marked, and each one over training.

    Example:
        >>> import tempfile, torch, tb_suite as tbs
        >>> from tb_suite.attention import head_entropy
        >>> run = tempfile.mkdtemp()
        >>> attentions = torch.full((2, 1, 4, 3, 3), 1 / 3)  # uniform rows over 3 keys
        >>> with tbs.Writer(run) as writer:
        ...     tbs.log_head_stats(writer, "heads", step=0, entropy=head_entropy(attentions))
        >>> meta, arrays = tbs.read_records(run, "tbs_attention")["heads"][0]
        >>> arrays["entropy"].shape, round(float(arrays["entropy"][0, 0]), 4)  # log(3) nats
        ((2, 4), 1.0986)
    """
    tag, step = check_tag(tag), check_step(step)
    given = {name: value for name, value in zip(metadata.HEAD_STATS, (entropy, importance, mask)) if value is not None}
    if not given:
        raise ValueError("log_head_stats needs at least one of entropy, importance, mask")
    arrays, shape = {}, None
    for name, value in given.items():
        array = _stat(value, name, shape)
        shape = array.shape
        if name == "mask":
            arrays[name] = (array != 0).astype(np.uint8)
        else:
            check_finite(array, name)
            if name == "entropy" and (array < 0).any():
                raise ValueError("entropy contains negative values")
            arrays[name] = array.astype(np.float32)
    as_writer(writer).write_record(
        metadata.PLUGIN_NAME,
        tag,
        step,
        {"layers": shape[0], "heads": shape[1]},
        arrays,
        content=metadata.create_content(metadata.KIND_HEAD_STATS),
    )
