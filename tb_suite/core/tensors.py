"""Torch helpers shared by the families' log_* functions and probes (never imported by the server side)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from tb_suite.core.validate import to_numpy


def as_tensor(value: Any, name: str, *, sequences: bool = True) -> torch.Tensor:
    """`value` as a detached torch tensor: a tensor stays on its device, a numpy array is shared (not
    copied), a nested sequence is converted when `sequences`. Real numeric dtypes only; TypeError naming
    `name` otherwise."""
    if isinstance(value, torch.Tensor):
        if value.is_complex():
            raise TypeError(f"{name} must be real, got dtype {value.dtype}")
        return value.detach()
    if not sequences and not isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be a torch tensor or a numpy array, got {type(value).__name__}")
    array = to_numpy(value, name)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got dtype {array.dtype}")
    return torch.from_numpy(np.ascontiguousarray(array))


def to_device(value: Any, device: torch.device | str, *, copy: bool = False) -> Any:
    """`value` with every tensor in it (numpy arrays become tensors) on `device`, through mappings (as
    dicts), lists and tuples; anything else as it is. `copy` detaches and copies each tensor even when it
    is on `device` already (a snapshot the caller's later in-place changes do not reach)."""
    if isinstance(value, np.ndarray):
        value = torch.from_numpy(value)
    if isinstance(value, torch.Tensor):
        return value.detach().to(device, copy=True) if copy else value.to(device)
    if isinstance(value, Mapping):
        return {k: to_device(v, device, copy=copy) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(to_device(v, device, copy=copy) for v in value)
    return value
