"""`log_token_predictions`: per-position next-token predictions of a language model, one record per step."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from tb_suite.core.validate import check_int, check_step, check_tag, finite_or_none
from tb_suite.core.writer import as_writer
from tb_suite.tokens import metadata as md

MAX_K = 256  # top-k predictions stored per position (docs/limits.md)


def log_token_predictions(
    writer: Any,
    tag: str,
    logits: Any,
    input_ids: Any,
    *,
    step: int,
    tokenizer: Any = None,
    k: int = 20,
    labels: Any = None,
    attention_mask: Any = None,
) -> None:
    """Log what a causal language model predicts at every position of a batch of sequences.

    `logits` `[B, T, V]` (torch on any device, or numpy; `[T, V]` for one sequence) are reduced on their
    device, in float32, chunked over positions: top-k ids and probabilities, entropy, the target's
    probability and rank, per-token and sequence loss. Only these reductions are stored, never the logits.
    Position t's target is `input_ids[:, t + 1]`, or `labels[:, t + 1]` when `labels` are given (-100:
    ignored), as in Hugging Face causal LMs; padding (`attention_mask == 0`) has no target. With a Hugging
    Face `tokenizer`, each distinct id is decoded once and the tab shows text; without one it shows ids.
    `k` <= 256 (docs/limits.md). Entropy and loss are never negative, accurate to float32's rounding.

    Example (with a Hugging Face model: `model(input_ids).logits`, and `tokenizer=` for text):
        >>> import tempfile, torch, tb_suite as tbs
        >>> run = tempfile.mkdtemp()
        >>> input_ids = torch.tensor([[3, 1, 4, 1, 5]])
        >>> logits = torch.randn(1, 5, 10)  # [batch, positions, vocabulary]
        >>> with tbs.Writer(run) as writer:
        ...     tbs.log_token_predictions(writer, "lm", logits, input_ids, step=0, k=3)
        >>> meta, arrays = tbs.read_records(run, "tbs_tokens")["lm"][0]
        >>> meta["num_targets"], arrays["topk_ids"].shape  # the last position has no next token
        (4, (1, 5, 3))
    """
    import torch

    from tb_suite.core.tensors import as_tensor
    from tb_suite.tokens import compute

    writer = as_writer(writer)
    tag, step = check_tag(tag), check_step(step)
    logits = as_tensor(logits, "logits", sequences=False)
    if not logits.dtype.is_floating_point:
        raise TypeError(f"logits must be floating point, got dtype {logits.dtype}")
    if logits.ndim not in (2, 3):
        raise ValueError(f"logits must have shape [B, T, V] or [T, V], got {tuple(logits.shape)}")
    single = logits.ndim == 2
    if single:
        logits = logits.unsqueeze(0)
    batch, length, vocab_size = logits.shape
    if batch == 0 or length == 0 or vocab_size == 0:
        raise ValueError(f"logits is empty: shape {tuple(logits.shape)}")
    k = _check_k(k, vocab_size)
    _check_tokenizer(tokenizer)
    device = logits.device
    ids = _ids(input_ids, "input_ids", (batch, length), single, device)
    if ((ids < 0) | (ids >= vocab_size)).any():
        raise ValueError(f"input_ids must lie in [0, {vocab_size}) (the logits' vocabulary size)")
    label_ids = None if labels is None else _ids(labels, "labels", (batch, length), single, device)
    ignored = None if label_ids is None else label_ids == compute.IGNORE_INDEX
    if label_ids is not None and (((label_ids < 0) & ~ignored) | (label_ids >= vocab_size)).any():
        raise ValueError(f"labels must lie in [0, {vocab_size}) or be {compute.IGNORE_INDEX} (ignored)")
    mask = None if attention_mask is None else _ids(attention_mask, "attention_mask", (batch, length), single, device)
    if mask is not None and ((mask != 0) & (mask != 1)).any():
        raise ValueError("attention_mask must hold only 0 and 1")
    if not writer.enabled:  # not rank 0: nothing to reduce
        return

    targets = compute.next_token_targets(ids, label_ids, mask)
    stats = compute.token_stats(logits.detach(), targets.reshape(-1), k)
    real = torch.ones_like(ids, dtype=torch.bool) if mask is None else mask.bool()
    bad = int((~stats.finite.view(batch, length) & real).sum())
    if bad:
        raise ValueError(f"logits contains NaN or Inf values at {bad} position(s)")

    padding = ~real.reshape(-1)
    stats.topk_ids[padding] = -1
    stats.topk_probs[padding] = 0.0
    stats.entropy[padding] = float("nan")
    arrays = {
        md.INPUT_IDS: ids.to(torch.int32),
        md.TARGETS: targets.to(torch.int32),
        md.MASK: real.to(torch.uint8),
        md.TOPK_IDS: stats.topk_ids.to(torch.int32).view(batch, length, k),
        md.TOPK_PROBS: stats.topk_probs.view(batch, length, k),
        md.ENTROPY: stats.entropy.view(batch, length),
        md.LOSS: stats.loss.view(batch, length),
        md.RANK: stats.rank.to(torch.int32).view(batch, length),
    }
    arrays = {name: array.cpu().numpy() for name, array in arrays.items()}
    vocab_ids = _referenced_ids(arrays)
    strings = None if tokenizer is None else decode_tokens(tokenizer, vocab_ids)
    special = set(getattr(tokenizer, "all_special_ids", ())) & set(vocab_ids.tolist())
    write_token_record(
        writer,
        tag,
        step,
        arrays,
        vocab_size=vocab_size,
        vocab_ids=vocab_ids,
        vocab=strings,
        special_ids=sorted(special),
    )


def write_token_record(
    writer: Any,
    tag: str,
    step: int,
    arrays: dict[str, np.ndarray],
    *,
    vocab_size: int,
    vocab_ids: np.ndarray,
    vocab: Sequence[str] | None = None,
    special_ids: Sequence[int] = (),
    loss: float | None = None,
) -> None:
    """Store one record of already-reduced per-position arrays (layout in `metadata`).

    Sequence losses are the mean token loss of each sequence's targets; `loss` overrides the overall loss
    (imports carry their own training loss).
    """
    token_loss = arrays[md.LOSS].astype(np.float64)
    has_loss = np.isfinite(token_loss)
    counts = has_loss.sum(axis=1)
    sums = np.where(has_loss, token_loss, 0.0).sum(axis=1)
    seq_loss = [finite_or_none(s / c) if c else None for s, c in zip(sums, counts)]
    if loss is None and has_loss.any():
        loss = float(sums.sum() / counts.sum())
    batch, length, k = arrays[md.TOPK_IDS].shape
    meta = {
        "batch": batch,
        "length": length,
        "k": k,
        "vocab_size": int(vocab_size),
        "num_targets": int((arrays[md.TARGETS] >= 0).sum()),
        "loss": finite_or_none(loss),
        "perplexity": _perplexity(loss),
        "seq_loss": seq_loss,
        "seq_perplexity": [_perplexity(v) for v in seq_loss],
        "special_ids": [int(i) for i in special_ids],
    }
    if vocab is not None:
        meta["vocab"] = list(vocab)
    as_writer(writer).write_record(
        md.PLUGIN_NAME,
        tag,
        step,
        meta,
        {**arrays, md.VOCAB_IDS: np.asarray(vocab_ids, dtype=np.int32)},
        content=md.create_content(k, vocab_size),
        encodings=md.ENCODINGS,
        compress=True,
    )


def decode_tokens(tokenizer: Any, ids: np.ndarray) -> list[str]:
    """The text of each token id, decoded alone, with the leading space it carries inside a sequence.

    Decoding one SentencePiece token ("▁the") drops its leading space; it is put back so the tab can show it.
    """
    id_list = [int(i) for i in ids]
    texts = tokenizer.batch_decode(
        [[i] for i in id_list], skip_special_tokens=False, clean_up_tokenization_spaces=False
    )
    pieces = tokenizer.convert_ids_to_tokens(id_list)
    return [
        " " + text if isinstance(piece, str) and piece.startswith("\u2581") and not text.startswith(" ") else text
        for text, piece in zip(texts, pieces)
    ]


def _referenced_ids(arrays: dict[str, np.ndarray]) -> np.ndarray:
    ids = np.concatenate(
        [arrays[md.INPUT_IDS][arrays[md.MASK] != 0], arrays[md.TARGETS].ravel(), arrays[md.TOPK_IDS].ravel()]
    )
    return np.unique(ids[ids >= 0]).astype(np.int32)


def _perplexity(loss: float | None) -> float | None:
    return None if loss is None or not math.isfinite(loss) or loss > 700 else math.exp(loss)


def _check_k(k: Any, vocab_size: int) -> int:
    k = check_int(k, "k", minimum=1)
    if k > vocab_size:
        raise ValueError(f"k must be between 1 and the vocabulary size {vocab_size}, got {k}")
    return check_int(k, "k", maximum=MAX_K, hint=" (the documented limit, docs/limits.md)")


def _check_tokenizer(tokenizer: Any) -> None:
    if tokenizer is None:
        return
    missing = [m for m in ("batch_decode", "convert_ids_to_tokens") if not callable(getattr(tokenizer, m, None))]
    if missing:
        raise TypeError(
            f"tokenizer must be a Hugging Face tokenizer (with batch_decode and convert_ids_to_tokens) "
            f"or None, got {type(tokenizer).__name__} without {' and '.join(missing)}"
        )


def _ids(value: Any, name: str, shape: tuple[int, int], single: bool, device):
    import torch

    from tb_suite.core.tensors import as_tensor

    tensor = as_tensor(value, name, sequences=False)
    if tensor.dtype.is_floating_point or tensor.dtype.is_complex:
        raise TypeError(f"{name} must hold integers, got dtype {tensor.dtype}")
    if single and tensor.ndim == 1:
        tensor = tensor.unsqueeze(0)
    if tuple(tensor.shape) != shape:
        expected = list(shape[1:] if single else shape)
        raise ValueError(f"{name} must have shape {expected} to match logits, got {list(tensor.shape)}")
    return tensor.to(device=device, dtype=torch.int64)
