"""Directions in parameter space: random Gaussian ones normalized like Li et al. 2018, given ones
checked against the model, and checkpoints projected onto a plane of them."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from tb_suite.core.validate import check_int
from tb_suite.landscape.checks import LIMITS_HINT, MAX_DIRECTIONS, check_model, check_normalization, check_seed
from tb_suite.landscape.evaluator import Tensors

_EPS = 1e-10


def trainable(model: nn.Module) -> Tensors:
    """The parameters that require grad (all of them when none does): what directions move."""
    params = {n: p for n, p in model.named_parameters() if p.requires_grad}
    return params or dict(model.named_parameters())


def _aligned(value: Any, names: Sequence[str], like: Tensors, what: str) -> dict[str, torch.Tensor]:
    """A state dict / module / sequence aligned with `names` -> {name: tensor}, shapes checked, not yet moved."""
    if isinstance(value, nn.Module):
        value = value.state_dict()
    if isinstance(value, Mapping):
        missing = [n for n in names if n not in value]
        if missing:
            raise ValueError(f"{what} is missing {len(missing)} entr(ies), e.g. {missing[0]!r}")
        items = {n: value[n] for n in names}
    elif isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        if len(value) != len(names):
            raise ValueError(f"{what} has {len(value)} tensors, expected {len(names)} (one per parameter)")
        items = dict(zip(names, value))
    else:
        raise TypeError(f"{what} must be a state dict, a module or a sequence of tensors, got {type(value).__name__}")
    out = {}
    for n, t in items.items():
        try:
            t = torch.as_tensor(t)
        except (TypeError, ValueError, RuntimeError):
            raise TypeError(f"{what}[{n!r}] must be a tensor, got {type(t).__name__}") from None
        if tuple(t.shape) != tuple(like[n].shape):
            raise ValueError(f"{what}[{n!r}] has shape {tuple(t.shape)}, expected {tuple(like[n].shape)}")
        out[n] = t
    return out


def as_tensors(value: Any, names: Sequence[str], like: Tensors, what: str) -> Tensors:
    """A state dict / module / sequence aligned with `names` -> {name: tensor on the model's device}."""
    aligned = _aligned(value, names, like, what)
    return {n: t.detach().to(device=like[n].device, dtype=like[n].dtype) for n, t in aligned.items()}


def check_checkpoints(value: Any, names: Sequence[str], like: Tensors, what: str) -> list:
    """A sequence of checkpoints, each checked against `like` (converted later, one at a time)."""
    if isinstance(value, (str, bytes, Mapping, nn.Module, torch.Tensor, np.ndarray)) or not isinstance(value, Sequence):
        raise TypeError(f"{what} must be a list of checkpoints (state dicts or modules), got {type(value).__name__}")
    for index, checkpoint in enumerate(value):
        _aligned(checkpoint, names, like, f"{what}[{index}]")
    return list(value)


def normalize_direction(
    direction: Tensors, weights: Tensors, normalization: str = "filter", ignore: str | None = "biasbn"
) -> Tensors:
    """Scale a direction like Li et al. 2018, in place, and return it.

    "filter": each filter (slice along the first axis) gets the norm of the weights' filter; "layer": each
    tensor gets its weights' norm; "model": the whole direction gets the norm of the weights; "none": the
    direction as is. When normalizing with ignore="biasbn" the direction is zero on 1-D tensors (biases,
    norm-layer scales); with ignore=None a 1-D tensor is normalized as one filter.

    Example:
        >>> d = normalize_direction({"w": torch.randn(4, 3)}, {"w": model_w}, "filter")
    """
    normalization = check_normalization(normalization, ignore)
    if not isinstance(direction, Mapping) or not isinstance(weights, Mapping):
        raise TypeError("direction and weights must be mappings {parameter name: tensor}")
    missing = [n for n in direction if n not in weights]
    if missing:
        raise ValueError(f"weights has no entry {missing[0]!r} of direction")
    if normalization == "none":
        return direction
    for name, d in direction.items():
        w = weights[name]
        if d.dim() <= 1 and ignore == "biasbn":
            d.zero_()
        elif normalization == "filter" and d.dim() > 1:
            scale = w.flatten(1).norm(dim=1) / (d.flatten(1).norm(dim=1) + _EPS)
            d.mul_(scale.view(-1, *([1] * (d.dim() - 1))))
        elif normalization in ("filter", "layer"):
            d.mul_(w.norm() / (d.norm() + _EPS))
    if normalization == "model":
        kept = [n for n, d in direction.items() if not (d.dim() <= 1 and ignore == "biasbn")]
        d_norm = math.sqrt(sum(float(direction[n].double().pow(2).sum()) for n in kept))
        w_norm = math.sqrt(sum(float(weights[n].double().pow(2).sum()) for n in kept))
        for n in kept:
            direction[n].mul_(w_norm / (d_norm + _EPS))
    return direction


def random_directions(
    model: nn.Module, *, seed: int = 0, normalization: str = "filter", ignore: str | None = "biasbn", count: int = 2
) -> list[Tensors]:
    """`count` Gaussian directions over the trainable parameters, normalized (see `normalize_direction`).

    Drawn from a CPU generator seeded with `seed`, so every run, step, rank and device gets the same raw
    directions.

    Example:
        >>> d1, d2 = random_directions(model, seed=0)
    """
    check_model(model)
    generator = torch.Generator().manual_seed(check_seed(seed))
    check_normalization(normalization, ignore)
    count = check_int(count, "count", minimum=1, maximum=MAX_DIRECTIONS, hint=LIMITS_HINT)
    params = trainable(model)
    directions = []
    for _ in range(count):
        raw = {
            n: torch.randn(p.shape, generator=generator, dtype=torch.float32).to(p.device, p.dtype)
            for n, p in params.items()
        }
        directions.append(normalize_direction(raw, {n: p.detach() for n, p in params.items()}, normalization, ignore))
    return directions


def project(model_or_center: Any, checkpoints: Sequence[Any], directions: Sequence[Tensors]) -> np.ndarray:
    """Least-squares coordinates [K, 2] of each checkpoint's offset from the centre in the plane's directions."""
    names = list(directions[0])
    center = trainable(model_or_center) if isinstance(model_or_center, nn.Module) else model_or_center
    flat_d = torch.stack([torch.cat([d[n].double().reshape(-1) for n in names]) for d in directions])
    gram = flat_d @ flat_d.T
    coords = []
    for index, checkpoint in enumerate(checkpoints):
        point = as_tensors(checkpoint, names, center, f"trajectory[{index}]")
        offset = torch.cat([(point[n].double() - center[n].double()).reshape(-1) for n in names])
        coords.append(torch.linalg.lstsq(gram.cpu(), (flat_d @ offset).cpu()).solution)
    return torch.stack(coords).numpy() if coords else np.zeros((0, len(directions)))
