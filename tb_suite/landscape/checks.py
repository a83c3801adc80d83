"""Argument checks and documented limits (docs/limits.md) shared by the slices, the directions and the
training schedule: all run before any work."""

from __future__ import annotations

import math
from typing import Any

from torch import nn

from tb_suite.core.validate import check_int

NORMALIZATIONS = ("filter", "layer", "model", "none")
IGNORES = ("biasbn", None, "none")
# Documented limits (docs/limits.md): every point is a full evaluation of the model on the data.
MAX_GRID = 256  # plane: grid x grid points
MAX_POINTS = 10_000  # linear: n points; axis: n points per parameter element
MAX_AXIS_PARAMS = 256  # axis: parameter elements
MAX_CHUNK = 1024  # points evaluated at once with vectorize=True
MAX_DIRECTIONS = 16  # random_directions: count
LIMITS_HINT = " (the documented limit, docs/limits.md)"


def check_model(model: Any) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if next(model.parameters(), None) is None:
        raise ValueError("model has no parameters")


def check_span(value: Any, name: str) -> tuple[float, float]:
    try:
        if isinstance(value, (str, bytes)):
            raise TypeError
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (low, high) of numbers, got {value!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo >= hi:
        raise ValueError(f"{name} must satisfy low < high (both finite), got {value!r}")
    return lo, hi


def check_count(value: Any, name: str, maximum: int) -> int:
    return check_int(value, name, minimum=2, maximum=maximum, hint=LIMITS_HINT)


def check_seed(value: Any) -> int:
    return check_int(value, "seed", minimum=0, maximum=2**64 - 1)


def check_normalization(normalization: Any, ignore: Any) -> str:
    normalization = "none" if normalization is None else normalization
    if not isinstance(normalization, str) or normalization not in NORMALIZATIONS:
        raise ValueError(f"normalization must be one of {NORMALIZATIONS}, got {normalization!r}")
    if not (ignore is None or isinstance(ignore, str)) or ignore not in IGNORES:
        raise ValueError(f"ignore must be 'biasbn' or None, got {ignore!r}")
    return normalization
