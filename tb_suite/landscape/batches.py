"""The data a slice evaluates on: a batch or the first batches of an iterable, on the model's device, and
the mean loss of the model on one batch."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import torch

from tb_suite.core.tensors import to_device


def _is_batch(data: Any) -> bool:
    if isinstance(data, Mapping):
        return True
    return isinstance(data, (tuple, list)) and len(data) > 0 and isinstance(data[0], (torch.Tensor, np.ndarray))


def _first_tensor(value: Any) -> torch.Tensor | None:
    if isinstance(value, torch.Tensor):
        return value
    items = value.values() if isinstance(value, Mapping) else value if isinstance(value, (tuple, list)) else ()
    for item in items:
        found = _first_tensor(item)
        if found is not None:
            return found
    return None


def load_batches(data: Any, max_batches: int | None, device: torch.device) -> list[tuple[Any, int]]:
    """(batch on `device`, sample count) for a batch or up to `max_batches` of an iterable of batches."""
    if _is_batch(data):
        raw = [data]
    elif isinstance(data, Iterable) and not isinstance(data, (str, bytes, torch.Tensor, np.ndarray)):
        raw = []
        for batch in data:
            if max_batches is not None and len(raw) >= max_batches:
                break
            raw.append(batch)
    else:
        raise TypeError(
            f"data must be a batch ((inputs, targets) or a dict) or an iterable of batches, got {type(data).__name__}"
        )
    if not raw:
        raise ValueError("data holds no batches")
    out = []
    for batch in raw:
        if not isinstance(batch, Mapping) and not (isinstance(batch, (tuple, list)) and len(batch) == 2):
            raise ValueError("data: each batch must be (inputs, targets) or a dict of model keyword arguments")
        first = _first_tensor(batch)
        if first is None or first.ndim == 0:
            raise ValueError("data: a batch needs a tensor with a batch dimension")
        out.append((to_device(batch, device), int(first.shape[0])))
    return out


def _check_loss(loss: Any) -> torch.Tensor:
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        shape = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
        raise ValueError(f"loss_fn must return a scalar tensor (the batch mean), got {shape}")
    return loss.reshape(())


def batch_loss(model: Callable, loss_fn: Callable | None, batch: Any) -> torch.Tensor:
    if isinstance(batch, Mapping):
        outputs = model(**batch)
        if loss_fn is not None:
            return _check_loss(loss_fn(outputs, batch))
        loss = outputs.get("loss") if isinstance(outputs, Mapping) else getattr(outputs, "loss", None)
        if loss is None:
            raise ValueError("loss_fn is None but the model's outputs have no 'loss'; pass loss_fn")
        return _check_loss(loss)
    if loss_fn is None:
        raise ValueError("loss_fn is required for (inputs, targets) batches")
    inputs, targets = batch
    return _check_loss(loss_fn(model(inputs), targets))
