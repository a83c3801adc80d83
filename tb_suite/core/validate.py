"""Input checks shared by every `log_*` function: each failure names the argument."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np


def is_torch_tensor(value: Any) -> bool:
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


def to_numpy(value: Any, name: str) -> np.ndarray:
    """A numpy array from a numpy array, torch tensor (any device) or nested sequence."""
    if is_torch_tensor(value):
        value = value.detach()
        if value.dtype.is_floating_point and value.dtype.itemsize < 4:
            value = value.float()
        return value.cpu().numpy()
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (list, tuple)):
        try:
            return np.asarray(value)
        except ValueError as exc:
            raise ValueError(f"{name}: ragged sequence cannot form an array") from exc
    raise TypeError(f"{name} must be a torch tensor or a numpy array, got {type(value).__name__}")


def check_rank(array: Any, name: str, ranks: Sequence[int]) -> None:
    if array.ndim not in ranks:
        expected = " or ".join(str(r) for r in ranks)
        raise ValueError(f"{name} must have rank {expected}, got shape {tuple(array.shape)}")


def check_numeric(array: np.ndarray, name: str, *, integer: bool = False) -> None:
    kind = array.dtype.kind
    if integer and kind not in "iu":
        if kind == "f" and array.size and np.all(np.isfinite(array)) and np.all(array == np.round(array)):
            return
        raise TypeError(f"{name} must hold integers, got dtype {array.dtype}")
    if kind not in "iufb":
        raise TypeError(f"{name} must be numeric, got dtype {array.dtype}")


def check_finite(array: np.ndarray, name: str) -> None:
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        bad = int((~np.isfinite(array)).sum())
        raise ValueError(f"{name} contains {bad} NaN or Inf value(s)")


def check_nonempty(array: np.ndarray, name: str) -> None:
    if array.size == 0:
        raise ValueError(f"{name} is empty (shape {tuple(array.shape)})")


def check_step(step: Any) -> int:
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)):
        if is_torch_tensor(step) and step.numel() == 1 and not step.dtype.is_floating_point:
            step = int(step.item())
        else:
            raise TypeError(f"step must be an int, got {type(step).__name__}")
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step}")
    return int(step)


def check_tag(tag: Any) -> str:
    if not isinstance(tag, str) or not tag.strip():
        raise ValueError(f"tag must be a non-empty string, got {tag!r}")
    return tag


def check_names(names: Any, name: str, count: int) -> list[str] | None:
    """`names` (a list, tuple or 1-D numpy array, or None) as `count` strings."""
    if names is None:
        return None
    if isinstance(names, np.ndarray):
        if names.ndim != 1:
            raise ValueError(f"{name} must be 1-D, got shape {names.shape}")
        names = names.tolist()
    if isinstance(names, (str, bytes)) or not isinstance(names, Sequence):
        raise TypeError(f"{name} must be a sequence of strings, got {type(names).__name__}")
    names = [str(n) for n in names]
    if len(names) != count:
        raise ValueError(f"{name} has {len(names)} entries, expected {count}")
    return names


def _torch_scalar(value: Any) -> Any:
    """The Python number in a one-element torch tensor (not a bool one); other values as they are."""
    if is_torch_tensor(value) and value.numel() == 1 and str(value.dtype) != "torch.bool":
        return value.item()  # a complex one gives a complex number, refused by the callers
    return value


def check_int(value: Any, name: str, *, minimum: int | None = None, maximum: int | None = None, hint: str = "") -> int:
    """`value` as an int in [minimum, maximum] (bools, floats and strings refused); errors name `name` and
    the bound, `hint` says how to go beyond `maximum` where one can (documented limits: docs/limits.md)."""
    value = _torch_scalar(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}{hint}, got {value}")
    return int(value)


def check_positive_int(value: Any, name: str, *, optional: bool = False) -> int | None:
    """`check_int(value, name, minimum=1)`, or None when `optional` and `value` is None; anything else is a
    ValueError saying what is expected (callback settings)."""
    if optional and value is None:
        return None
    try:
        return check_int(value, name, minimum=1)
    except (TypeError, ValueError):
        expected = "None or an int >= 1" if optional else "an int >= 1"
        raise ValueError(f"{name} must be {expected}, got {value!r}") from None


def finite_or_none(value: float | None) -> float | None:
    """`value` as a float when it is finite, else None: a number a JSON meta field may hold (JSON has no
    NaN). Compare `check_finite` and `check_real`, which refuse non-finite input."""
    return float(value) if value is not None and math.isfinite(value) else None


def check_real(value: Any, name: str, *, allow_nan: bool = False) -> float:
    """`value` (a Python, numpy or one-element torch number; not a bool or a string) as a finite float
    (NaN too when `allow_nan`)."""
    value = _torch_scalar(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if math.isinf(value) or (math.isnan(value) and not allow_nan):
        raise ValueError(f"{name} must be finite, got {value}")
    return value
