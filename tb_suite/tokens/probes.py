"""Probe sequences for the training callbacks: fixed inputs run through the model and logged each evaluation."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import torch

from tb_suite.core.tensors import to_device
from tb_suite.tokens.summary import log_token_predictions

Batch = dict[str, torch.Tensor]
_KEYS = ("input_ids", "attention_mask", "labels")


def probe_batch(probes: Any, tokenizer: Any = None) -> Batch:
    """`{"input_ids", "attention_mask"?, "labels"?}` from texts (needs `tokenizer`), token ids `[B, T]` or `[T]`,
    lists of id lists of equal length, or a mapping with those keys."""
    if isinstance(probes, str):
        probes = [probes]
    if isinstance(probes, (list, tuple)) and probes and all(isinstance(p, str) for p in probes):
        if tokenizer is None:
            raise ValueError("probes are texts: pass a tokenizer (or token ids) to tokenize them")
        encoded = tokenizer(list(probes), return_tensors="pt", padding=True)
        return {key: encoded[key] for key in _KEYS[:2] if key in encoded}
    if isinstance(probes, Mapping):
        if "input_ids" not in probes:
            raise ValueError("probes as a mapping need an 'input_ids' entry")
        batch = {key: torch.as_tensor(probes[key]) for key in _KEYS if probes.get(key) is not None}
    else:
        try:
            batch = {"input_ids": torch.as_tensor(probes)}
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"probes must be texts, token ids or a mapping with 'input_ids', got {type(probes).__name__}"
            ) from exc
    if batch["input_ids"].ndim == 1:
        batch = {key: value.unsqueeze(0) for key, value in batch.items()}
    if batch["input_ids"].ndim != 2 or batch["input_ids"].numel() == 0:
        raise ValueError(f"probe input_ids must have shape [B, T], got {tuple(batch['input_ids'].shape)}")
    return batch


def first_sequences(batches: Iterable[Any], count: int) -> Batch | None:
    """The first `count` sequences of a loader's batches (mappings with 'input_ids', tensors or tuples)."""
    parts: list[Batch] = []
    taken = 0
    for batch in batches:
        if isinstance(batch, Mapping):
            part = {key: batch[key] for key in _KEYS if isinstance(batch.get(key), torch.Tensor)}
        elif isinstance(batch, torch.Tensor):
            part = {"input_ids": batch}
        elif isinstance(batch, (tuple, list)) and batch and isinstance(batch[0], torch.Tensor):
            part = {"input_ids": batch[0]}
        else:
            raise TypeError(f"cannot find input_ids in a batch of type {type(batch).__name__}")
        if "input_ids" not in part:
            raise TypeError("evaluation batches have no 'input_ids' tensor")
        if "labels" in part and part["labels"].shape != part["input_ids"].shape:
            del part["labels"]  # not per-token labels (e.g. a classification target)
        part = {key: value[: count - taken].detach().cpu() for key, value in part.items()}
        parts.append(part)
        taken += part["input_ids"].shape[0]
        if taken >= count:
            break
    if not parts:
        return None
    width = max(p["input_ids"].shape[1] for p in parts)
    return {key: torch.cat([_pad(p[key], width, key) for p in parts]) for key in parts[0]}


def _pad(tensor: torch.Tensor, width: int, key: str) -> torch.Tensor:
    if tensor.shape[1] == width:
        return tensor
    fill = {"labels": -100, "attention_mask": 0}.get(key, 0)
    return torch.nn.functional.pad(tensor, (0, width - tensor.shape[1]), value=fill)


def model_logits(model: torch.nn.Module, batch: Batch, forward_fn: Callable | None = None) -> torch.Tensor:
    """Logits `[B, T, V]` of `model` on `batch` in eval mode without gradients; the model's mode is restored."""
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            if forward_fn is not None:
                out = forward_fn(model, batch["input_ids"].to(device), to_device(batch.get("attention_mask"), device))
            elif "attention_mask" in batch:
                out = model(input_ids=batch["input_ids"].to(device), attention_mask=batch["attention_mask"].to(device))
            else:
                out = model(batch["input_ids"].to(device))
    finally:
        model.train(was_training)
    if isinstance(out, Mapping) or hasattr(out, "logits"):
        out = out["logits"] if isinstance(out, Mapping) else out.logits
    elif isinstance(out, (tuple, list)):
        out = out[0]
    if not isinstance(out, torch.Tensor):
        raise TypeError(
            f"the model returned {type(out).__name__}; pass forward_fn(model, input_ids, attention_mask) -> logits"
        )
    return out


def log_probes(
    writer: Any,
    tag: str,
    model: torch.nn.Module,
    batch: Batch,
    *,
    step: int,
    tokenizer: Any = None,
    k: int = 20,
    forward_fn: Callable | None = None,
) -> None:
    """Run `batch` through `model` and log its token predictions (k capped at the vocabulary size)."""
    logits = model_logits(model, batch, forward_fn)
    log_token_predictions(
        writer,
        tag,
        logits,
        batch["input_ids"],
        step=step,
        tokenizer=tokenizer,
        k=min(k, logits.shape[-1]),
        labels=batch.get("labels"),
        attention_mask=batch.get("attention_mask"),
    )
