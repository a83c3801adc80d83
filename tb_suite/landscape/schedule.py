"""What the Lightning and Hugging Face landscape callbacks share: which slices to compute on which data, a
held batch, the training trajectory, and logging on rank 0 only (the computation itself is sharded across
ranks by `compute`, so every rank must take part)."""

from __future__ import annotations

import collections
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from tb_suite.core.dist import rank_and_world_size
from tb_suite.core.tensors import to_device
from tb_suite.core.validate import check_int, check_tag
from tb_suite.landscape import checks, compute
from tb_suite.landscape.directions import trainable
from tb_suite.landscape.summary import log_slice

SLICES = ("plane", "linear", "axis")
MAX_TRAJECTORY = 1000  # checkpoints kept (a CPU copy of the weights each); docs/limits.md


def _same_on_every_rank(value: Any) -> Any:
    """Rank 0's `value` on every rank, so all ranks evaluate the same data (a no-op without distributed)."""
    if rank_and_world_size()[1] == 1:
        return value
    dist = torch.distributed
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


class SliceSchedule:
    """Computes the configured slices of a model and logs them under `<tag>/<slice>`.

    slices: any of "plane" (2D, filter-normalized, with the trajectory of the last `trajectory` logged
    points projected onto it), "linear" (from the weights at the start of training to the current ones)
    and "axis" (needs `axis_params`). `data` is the data to evaluate on (a batch or batches); None holds
    the first training batch.
    """

    def __init__(
        self,
        tag: str = "landscape",
        *,
        slices: Sequence[str] = ("plane",),
        loss_fn: Callable | None = None,
        data: Any = None,
        max_batches: int | None = 4,
        grid: int = 21,
        span: tuple[float, float] = (-1, 1),
        normalization: str = "filter",
        seed: int = 0,
        axis_params: Sequence[str | int] | None = None,
        axis_bounds: tuple[float, float] = (-1, 1),
        axis_n: int = 31,
        linear_n: int = 41,
        trajectory: int = 20,
    ) -> None:
        self.tag = check_tag(tag)
        if isinstance(slices, str) or not slices or any(s not in SLICES for s in slices):
            raise ValueError(f"slices must be a non-empty list of {SLICES}, got {slices!r}")
        if "axis" in slices and not axis_params:
            raise ValueError("slices includes 'axis': pass axis_params (names like 'fc1.weight[3, 7]')")
        if loss_fn is not None and not callable(loss_fn):
            raise TypeError("loss_fn must be callable as loss_fn(outputs, targets), or None for dict batches")
        check_int(trajectory, "trajectory", minimum=0, maximum=MAX_TRAJECTORY, hint=checks.LIMITS_HINT)
        for value, name, limit in (
            (grid, "grid", checks.MAX_GRID),
            (axis_n, "axis_n", checks.MAX_POINTS),
            (linear_n, "linear_n", checks.MAX_POINTS),
        ):
            checks.check_count(value, name, limit)
        checks.check_span(span, "span")
        checks.check_span(axis_bounds, "axis_bounds")
        checks.check_normalization(normalization, "biasbn")
        checks.check_seed(seed)
        if max_batches is not None:
            check_int(max_batches, "max_batches", minimum=1)
        if axis_params is not None and (
            isinstance(axis_params, (str, bytes))
            or not isinstance(axis_params, Sequence)
            or len(axis_params) > checks.MAX_AXIS_PARAMS
        ):
            raise ValueError(
                f"axis_params must be a list of at most {checks.MAX_AXIS_PARAMS} names or flat "
                f"indices{checks.LIMITS_HINT}, got {type(axis_params).__name__}"
            )
        self.slices = tuple(slices)
        self.loss_fn, self.data, self.max_batches = loss_fn, data, max_batches
        self.plane_kwargs = {"grid": grid, "span": span, "normalization": normalization, "seed": seed}
        self.axis_kwargs = {"params": axis_params, "bounds": axis_bounds, "n": axis_n}
        self.linear_n = linear_n
        self._held: Any = None
        self._start: dict[str, torch.Tensor] | None = None
        self._trajectory: collections.deque = collections.deque(maxlen=max(trajectory, 1))
        self._trajectory_steps: collections.deque = collections.deque(maxlen=max(trajectory, 1))
        self._keep_trajectory = trajectory > 0

    def begin(self, model: nn.Module) -> None:
        """Remember the starting weights (the start point of the "linear" slice)."""
        if "linear" in self.slices and self._start is None:
            self._start = to_device(model.state_dict(), "cpu", copy=True)

    def hold(self, batch: Any) -> None:
        """Keep the first batch seen (on CPU) when no `data` was given."""
        if self.data is None and self._held is None:
            self._held = to_device(batch, "cpu", copy=True)

    def log(self, model: nn.Module, writer: Any, step: int) -> None:
        """Compute the slices on every rank; log them where `writer` is not None (rank 0)."""
        data = _same_on_every_rank(self.data if self.data is not None else self._held)
        if data is None:
            raise RuntimeError("no data to evaluate the landscape on: pass data=... or let a training batch pass")
        common = {"max_batches": self.max_batches}
        if self._keep_trajectory:
            self._trajectory.append({n: p.detach().to("cpu", copy=True) for n, p in trainable(model).items()})
            self._trajectory_steps.append(step)
        results = {}
        if "plane" in self.slices:
            trajectory, steps = (
                (list(self._trajectory), list(self._trajectory_steps)) if self._keep_trajectory else (None, None)
            )
            results["plane"] = compute.plane(
                model, self.loss_fn, data, trajectory=trajectory, trajectory_steps=steps, **self.plane_kwargs, **common
            )
        if "linear" in self.slices:
            start = self._start if self._start is not None else model.state_dict()
            results["linear"] = compute.linear(
                model,
                self.loss_fn,
                data,
                start=start,
                end=model.state_dict(),
                n=self.linear_n,
                span=(-0.25, 1.25),
                **common,
            )
        if "axis" in self.slices:
            results["axis"] = compute.axis(model, self.loss_fn, data, **self.axis_kwargs, **common)
        if writer is not None:
            for kind, result in results.items():
                log_slice(writer, f"{self.tag}/{kind}", result, step=step)
            writer.flush()
