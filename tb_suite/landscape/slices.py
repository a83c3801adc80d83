"""The three slice types the landscape family computes and stores; numpy only (the server side reads them).

A slice becomes one record (meta + arrays, see docs/http_api.md) through `to_record`, and `as_slice` turns
what a user hands `log_slice` (one of these, a mapping with the same fields, or a bare array) into one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from tb_suite.core.validate import (
    check_finite,
    check_int,
    check_names,
    check_nonempty,
    check_rank,
    check_real,
    is_torch_tensor,
    to_numpy,
)
from tb_suite.landscape import metadata

SLICE_TYPES = ("linear", "axis", "plane")


@dataclass
class LineSlice:
    """Loss along `start + alpha * (end - start)`; alpha 0 is the start point, 1 the end point."""

    alphas: np.ndarray  # [n]
    losses: np.ndarray  # [n]

    slice_type = "linear"

    def to_record(self) -> tuple[dict, dict[str, np.ndarray]]:
        meta = {"type": self.slice_type, "start": 0.0, "end": 1.0, **_stats(self.losses)}
        return meta, {metadata.ALPHA: self.alphas.astype(np.float32), metadata.LOSS: self.losses.astype(np.float32)}


@dataclass
class AxisSlices:
    """Loss when one parameter element at a time moves by `offsets` around its current value."""

    names: list[str]  # "fc1.weight[3, 7]"
    layers: list[str]  # the module holding each parameter ("fc1"), with its type in `kinds`
    kinds: list[str]
    values: np.ndarray  # [k] current value of each parameter element
    offsets: np.ndarray  # [n]
    losses: np.ndarray  # [k, n]
    center_loss: float = float("nan")

    slice_type = "axis"

    def to_record(self) -> tuple[dict, dict[str, np.ndarray]]:
        meta = {
            "type": self.slice_type,
            "names": list(self.names),
            "layers": list(self.layers),
            "kinds": list(self.kinds),
            **_stats(self.losses, self.center_loss),
        }
        arrays = {
            metadata.OFFSET: self.offsets.astype(np.float32),
            metadata.LOSS: self.losses.astype(np.float32),
            metadata.VALUE: self.values.astype(np.float32),
        }
        return meta, arrays


@dataclass
class PlaneSlice:
    """Loss on the grid `center + x * d1 + y * d2`: `losses[i, j]` is at (`xs[j]`, `ys[i]`)."""

    xs: np.ndarray  # [g]
    ys: np.ndarray  # [g]
    losses: np.ndarray  # [g, g]
    normalization: str = "filter"
    ignore: str = "biasbn"
    seed: int | None = None
    trajectory: np.ndarray | None = None  # [K, 2] plane coordinates of checkpoints
    center_loss: float = float("nan")
    trajectory_steps: np.ndarray | None = None  # [K] training step of each checkpoint, when known

    slice_type = "plane"

    def to_record(self) -> tuple[dict, dict[str, np.ndarray]]:
        meta = {
            "type": self.slice_type,
            "normalization": self.normalization,
            "ignore": self.ignore,
            "seed": self.seed,
            **_stats(self.losses, self.center_loss),
        }
        arrays = {
            metadata.X: self.xs.astype(np.float32),
            metadata.Y: self.ys.astype(np.float32),
            metadata.LOSS: self.losses.astype(np.float32),
        }
        if self.trajectory is not None:
            arrays[metadata.TRAJECTORY] = self.trajectory.astype(np.float32)
        if self.trajectory_steps is not None:
            arrays[metadata.TRAJECTORY_STEPS] = self.trajectory_steps.astype(np.int32)
        return meta, arrays


_CLASSES = {cls.slice_type: cls for cls in (LineSlice, AxisSlices, PlaneSlice)}


def _stats(losses: np.ndarray, center: float = float("nan")) -> dict:
    stats = {"min": float(np.min(losses)), "max": float(np.max(losses))}
    if np.isfinite(center):
        stats["center_loss"] = float(center)
    return stats


def _array(value: Any, name: str, ranks: tuple[int, ...]) -> np.ndarray:
    array = to_numpy(value, name)
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be numeric, got dtype {array.dtype}")
    check_rank(array, name, ranks)
    check_nonempty(array, name)
    array = array.astype(np.float64)
    check_finite(array, name)
    # Values are stored as float32: a finite float64 beyond its range would be stored as Inf.
    if np.abs(array).max() > np.finfo(np.float32).max:
        raise ValueError(f"{name} has values beyond float32's range (|x| > {np.finfo(np.float32).max:.3g})")
    return array


MAX_STEP = 2**31 - 1  # trajectory steps are stored as int32 (the frontend's wire reader has no int64)


def check_trajectory_steps(value: Any, name: str, count: int) -> np.ndarray:
    """`value` as an int64 array of `count` training steps in [0, MAX_STEP], one per trajectory checkpoint."""
    if not isinstance(value, (list, tuple, np.ndarray)) and not is_torch_tensor(value):
        raise TypeError(
            f"{name} must be a list of ints (one step per trajectory checkpoint), got {type(value).__name__}"
        )
    steps = to_numpy(value, name)
    if steps.size and steps.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integers, got dtype {steps.dtype}")
    check_rank(steps, name, (1,))
    if steps.size != count:
        raise ValueError(f"{name} has {steps.size} entries, expected {count} (one per trajectory checkpoint)")
    if steps.size and (steps.min() < 0 or steps.max() > MAX_STEP):
        raise ValueError(f"{name} must be in [0, {MAX_STEP}], got values in [{steps.min()}, {steps.max()}]")
    return steps.astype(np.int64)


def _detect(value: Any) -> str:
    if isinstance(value, Mapping):
        if "names" in value or "offsets" in value:
            return "axis"
        if "alphas" in value:
            return "linear"
        losses = value.get("losses")
        if losses is None:
            raise ValueError("slice: a mapping needs a 'losses' entry")
        value = losses
    ndim = getattr(value, "ndim", None)
    if ndim is None:
        ndim = np.ndim(value)
    if ndim == 1:
        return "linear"
    if ndim == 2:
        return "plane"
    raise ValueError(f"slice: cannot tell the slice type from an array of rank {ndim}; pass slice_type")


def as_slice(value: Any, slice_type: str | None = None) -> LineSlice | AxisSlices | PlaneSlice:
    """A validated slice from a slice object, a mapping of its fields, or a bare 1D (line) / 2D (plane) array.

    Every failure raises ValueError/TypeError naming the argument.
    """
    if slice_type is not None and slice_type not in SLICE_TYPES:
        raise ValueError(f"slice_type must be one of {SLICE_TYPES}, got {slice_type!r}")
    if isinstance(value, tuple(_CLASSES.values())):
        if slice_type is not None and slice_type != value.slice_type:
            raise ValueError(f"slice_type {slice_type!r} does not match the slice, a {value.slice_type!r} slice")
        value = {f.name: getattr(value, f.name) for f in fields(value)}
    if not isinstance(value, (Mapping, np.ndarray, list, tuple)) and not is_torch_tensor(value):
        raise TypeError(
            "slice must be a LineSlice, AxisSlices or PlaneSlice, a mapping of their fields or an "
            f"array, got {type(value).__name__}"
        )
    kind = slice_type or _detect(value)
    if not isinstance(value, Mapping):
        value = {"losses": value}
    if kind == "linear":
        return _line(value)
    if kind == "plane":
        return _plane(value)
    return _axis(value)


def _unknown_fields(value: Mapping, kind: str) -> None:
    known = {f.name for f in fields(_CLASSES[kind])}
    unknown = set(value) - known
    if unknown:
        raise ValueError(f"slice: unknown field(s) {sorted(unknown)} for a {kind!r} slice; expected {sorted(known)}")


def _line(value: Mapping) -> LineSlice:
    _unknown_fields(value, "linear")
    losses = _array(value["losses"], "slice.losses", (1,))
    alphas = value.get("alphas")
    alphas = np.linspace(0.0, 1.0, losses.size) if alphas is None else _array(alphas, "slice.alphas", (1,))
    if alphas.shape != losses.shape:
        raise ValueError(f"slice.alphas has shape {alphas.shape}, expected {losses.shape} like slice.losses")
    return LineSlice(alphas, losses)


def _plane(value: Mapping) -> PlaneSlice:
    _unknown_fields(value, "plane")
    losses = _array(value["losses"], "slice.losses", (2,))
    rows, cols = losses.shape
    xs = value.get("xs")
    ys = value.get("ys")
    xs = np.linspace(-1.0, 1.0, cols) if xs is None else _array(xs, "slice.xs", (1,))
    ys = np.linspace(-1.0, 1.0, rows) if ys is None else _array(ys, "slice.ys", (1,))
    if xs.size != cols or ys.size != rows:
        raise ValueError(
            f"slice.xs/slice.ys have {xs.size}/{ys.size} entries, expected {cols}/{rows} for losses {losses.shape}"
        )
    trajectory = value.get("trajectory")
    if trajectory is not None:
        trajectory = _array(trajectory, "slice.trajectory", (2,))
        if trajectory.shape[1] != 2:
            raise ValueError(f"slice.trajectory must have shape [K, 2], got {trajectory.shape}")
    steps = value.get("trajectory_steps")
    if steps is not None:
        if trajectory is None:
            raise ValueError("slice.trajectory_steps needs slice.trajectory (the checkpoints the steps belong to)")
        steps = check_trajectory_steps(steps, "slice.trajectory_steps", trajectory.shape[0])
    seed = value.get("seed")
    return PlaneSlice(
        xs,
        ys,
        losses,
        normalization=_text(value.get("normalization", "filter"), "slice.normalization"),
        ignore=_text(value.get("ignore", "biasbn"), "slice.ignore"),
        seed=None if seed is None else check_int(seed, "slice.seed", minimum=0),
        trajectory=trajectory,
        center_loss=_center(value),
        trajectory_steps=steps,
    )


def _center(value: Mapping) -> float:
    return check_real(value.get("center_loss", float("nan")), "slice.center_loss", allow_nan=True)


def _text(value: Any, name: str) -> str:
    if value is None:
        return "None"
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    return value


def _axis(value: Mapping) -> AxisSlices:
    _unknown_fields(value, "axis")
    losses = _array(value["losses"], "slice.losses", (1, 2))
    if losses.ndim == 1:
        losses = losses[None]
    k, n = losses.shape
    offsets = value.get("offsets")
    offsets = np.linspace(-1.0, 1.0, n) if offsets is None else _array(offsets, "slice.offsets", (1,))
    if offsets.size != n:
        raise ValueError(f"slice.offsets has {offsets.size} entries, expected {n} (columns of slice.losses)")
    names = check_names(value.get("names"), "slice.names", k) or [f"param {i}" for i in range(k)]
    layers = check_names(value.get("layers"), "slice.layers", k) or [""] * k
    kinds = check_names(value.get("kinds"), "slice.kinds", k) or [""] * k
    values = value.get("values")
    values = np.zeros(k) if values is None else _array(values, "slice.values", (1,))
    if values.size != k:
        raise ValueError(f"slice.values has {values.size} entries, expected {k}")
    return AxisSlices(names, layers, kinds, values, offsets, losses, center_loss=_center(value))
