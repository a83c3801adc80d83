"""Loss-landscape slices of a PyTorch model: `linear`, `axis` and `plane` (Li et al. 2018).

All three read their data with `batches`, evaluate the loss with one engine (`evaluator.Evaluator`) and
take their directions from `directions`; `random_directions`, `normalize_direction` and `project` are
importable from here too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from tb_suite.core.validate import check_int
from tb_suite.landscape.batches import load_batches
from tb_suite.landscape.checks import (
    LIMITS_HINT,
    MAX_AXIS_PARAMS,
    MAX_CHUNK,
    MAX_GRID,
    MAX_POINTS,
    check_count,
    check_model,
    check_normalization,
    check_seed,
    check_span,
)
from tb_suite.landscape.directions import (
    as_tensors,
    check_checkpoints,
    normalize_direction,
    project,
    random_directions,
    trainable,
)
from tb_suite.landscape.evaluator import make_evaluator, preserved
from tb_suite.landscape.slices import AxisSlices, LineSlice, PlaneSlice, check_trajectory_steps


def _device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def _check_call(model, loss_fn, max_batches, eval_mode, vectorize, chunk) -> None:
    """The arguments every slice takes; checked before any work."""
    check_model(model)
    if loss_fn is not None and not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable or None, got {type(loss_fn).__name__}")
    if max_batches is not None:
        check_int(max_batches, "max_batches", minimum=1)
    if not isinstance(eval_mode, (bool, np.bool_)):
        raise TypeError(f"eval_mode must be a bool, got {type(eval_mode).__name__}")
    if vectorize is not None and not isinstance(vectorize, (bool, np.bool_)):
        raise TypeError(f"vectorize must be None or a bool, got {type(vectorize).__name__}")
    check_int(chunk, "chunk", minimum=1, maximum=MAX_CHUNK, hint=LIMITS_HINT)


def _finite(losses: np.ndarray, where: Callable[[int], str]) -> np.ndarray:
    bad = np.flatnonzero(~np.isfinite(losses))
    if bad.size:
        raise ValueError(
            f"loss_fn returned {losses[bad[0]]} at {where(int(bad[0]))}; narrow the span or check the model"
        )
    return losses


def linear(
    model: nn.Module,
    loss_fn: Callable | None,
    data: Any,
    *,
    end: Any,
    start: Any = None,
    n: int = 50,
    span: tuple[float, float] = (-0.5, 1.5),
    max_batches: int | None = None,
    eval_mode: bool = True,
    vectorize: bool | None = None,
    chunk: int = 16,
) -> LineSlice:
    """Loss along the line `start + alpha * (end - start)` for `n` values of alpha in `span`.

    `start`/`end` are state dicts or modules of the same architecture (`start=None`: the model as it is).
    Parameters and floating-point buffers (BatchNorm statistics) are interpolated. `data` is a batch
    `(inputs, targets)` / dict, or an iterable of them (the first `max_batches`); the loss is the exact
    sample-weighted mean over the batches. The model is left bit-identical. Every argument is checked before
    the first evaluation; n <= 10,000 (docs/limits.md).

    Example:
        >>> init = copy.deepcopy(model.state_dict()); train(model)
        >>> line = tbs.landscape.linear(model, F.cross_entropy, (x, y), start=init, end=model.state_dict())
        >>> tbs.log_slice(writer, "landscape/init_to_final", line, step=step)
    """
    _check_call(model, loss_fn, max_batches, eval_mode, vectorize, chunk)
    n = check_count(n, "n", MAX_POINTS)
    lo, hi = check_span(span, "span")
    persistent = model.state_dict().keys()
    names = [k for k, _ in model.named_parameters()] + [
        k for k, b in model.named_buffers() if b.is_floating_point() and k in persistent
    ]
    live = {**dict(model.named_parameters()), **dict(model.named_buffers())}
    current = {k: live[k].detach().clone() for k in names}
    start_t = current if start is None else as_tensors(start, names, live, "start")
    end_t = as_tensors(end, names, live, "end")
    direction = {k: end_t[k] - start_t[k] for k in names}
    alphas = np.linspace(lo, hi, n)
    batches = load_batches(data, max_batches, _device(model))
    with preserved(model, eval_mode=eval_mode):
        evaluator = make_evaluator(model, loss_fn, batches, start_t, [direction], vectorize, chunk)
        losses = evaluator(alphas[:, None])
    return LineSlice(alphas, _finite(losses, lambda i: f"alpha={alphas[i]:g}"))


_PARAM_RE = re.compile(r"^\s*([^\[\]\s]+)\s*(?:\[([\d,\s]*)\])?\s*$")


def _resolve_params(model: nn.Module, params: Any) -> list[tuple[str, str, int]]:
    """[(display name, parameter name, flat index)] for names like "fc1.weight[3, 7]" or flat indices."""
    if isinstance(params, np.ndarray) and params.ndim == 1:
        params = params.tolist()
    if isinstance(params, (str, bytes)) or not isinstance(params, Sequence) or not params:
        raise ValueError(
            "params must be a non-empty list of names ('fc1.weight[3, 7]') or flat indices, "
            f"got {type(params).__name__}"
        )
    if len(params) > MAX_AXIS_PARAMS:
        raise ValueError(f"params lists {len(params)} parameter elements, more than {MAX_AXIS_PARAMS}{LIMITS_HINT}")
    named = trainable(model)
    offsets, total = {}, 0
    for name, p in named.items():
        offsets[name] = total
        total += p.numel()
    out = []
    for item in params:
        if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
            if not 0 <= item < total:
                raise ValueError(f"params: flat index {item} is out of range [0, {total})")
            name = next(n for n in reversed(list(named)) if offsets[n] <= item)
            flat = int(item) - offsets[name]
        elif isinstance(item, str):
            match = _PARAM_RE.match(item)
            if not match or match.group(1) not in named:
                raise ValueError(f"params: unknown parameter {item!r}; known: {', '.join(list(named)[:8])}...")
            name, shape = match.group(1), tuple(named[match.group(1)].shape)
            index = tuple(int(i) for i in match.group(2).split(",") if i.strip()) if match.group(2) else ()
            if not index and named[name].numel() != 1:
                raise ValueError(
                    f"params: {name!r} has {named[name].numel()} elements; name one as "
                    f"'{name}[{', '.join(['i'] * len(shape))}]'"
                )
            if index and (len(index) != len(shape) or any(not 0 <= i < s for i, s in zip(index, shape))):
                raise ValueError(f"params: index {list(index)} does not fit {name!r} of shape {list(shape)}")
            flat = int(np.ravel_multi_index(index, shape)) if index else 0
        else:
            raise TypeError(f"params entries must be str or int, got {type(item).__name__}")
        shape = tuple(named[name].shape)
        index = np.unravel_index(flat, shape) if shape else ()
        display = f"{name}[{', '.join(str(int(i)) for i in index)}]" if shape else name
        out.append((display, name, flat))
    return out


def _layer_of(model: nn.Module, param_name: str) -> tuple[str, str]:
    module_name = param_name.rsplit(".", 1)[0] if "." in param_name else ""
    module = model.get_submodule(module_name)
    return module_name, type(module).__name__


def axis(
    model: nn.Module,
    loss_fn: Callable | None,
    data: Any,
    *,
    params: Sequence[str | int],
    bounds: tuple[float, float] = (-1, 1),
    n: int = 51,
    max_batches: int | None = None,
    eval_mode: bool = True,
    vectorize: bool | None = None,
    chunk: int = 16,
) -> AxisSlices:
    """Axis-parallel slices: the loss as each named parameter element moves by offsets in `bounds`.

    `params` lists names like `"fc1.weight[3, 7]"` (or `"scale"` for a one-element tensor) or flat indices
    into the trainable parameters concatenated in `named_parameters()` order. Results keep the names, the
    layer (module path) and its type. Every row moves its one element from the model's current weights.
    At most 256 elements and n <= 10,000 (docs/limits.md).

    Example:
        >>> sl = tbs.landscape.axis(model, F.cross_entropy, (x, y), params=["fc1.weight[3, 7]", "fc2.bias[0]"])
        >>> tbs.log_slice(writer, "landscape/axes", sl, step=step)
    """
    _check_call(model, loss_fn, max_batches, eval_mode, vectorize, chunk)
    n = check_count(n, "n", MAX_POINTS)
    lo, hi = check_span(bounds, "bounds")
    resolved = _resolve_params(model, params)
    params_now = trainable(model)
    offsets = np.linspace(lo, hi, n)
    losses = np.empty((len(resolved), n))
    values = np.array([float(params_now[name].detach().reshape(-1)[flat]) for _, name, flat in resolved])
    # every row moves one element from the centre, never from where an earlier row left its tensor
    centre = {name: params_now[name].detach().clone() for _, name, _ in resolved}
    batches = load_batches(data, max_batches, _device(model))  # once: an iterator of batches serves every row
    with preserved(model, eval_mode=eval_mode):
        center = None
        for row, (display, name, flat) in enumerate(resolved):
            onehot = torch.zeros_like(centre[name])
            onehot.view(-1)[flat] = 1
            evaluator = make_evaluator(
                model, loss_fn, batches, {name: centre[name]}, [{name: onehot}], vectorize, chunk
            )
            losses[row] = _finite(
                evaluator(offsets[:, None]), lambda i, display=display: f"{display} offset {offsets[i]:g}"
            )
            if center is None:
                center = float(evaluator(np.zeros((1, 1)))[0])
    layers = [_layer_of(model, name) for _, name, _ in resolved]
    return AxisSlices(
        [d for d, _, _ in resolved],
        [layer for layer, _ in layers],
        [k for _, k in layers],
        values,
        offsets,
        losses,
        center_loss=center,
    )


def plane(
    model: nn.Module,
    loss_fn: Callable | None,
    data: Any,
    *,
    grid: int = 25,
    span: tuple[float, float] = (-1, 1),
    normalization: str = "filter",
    ignore: str | None = "biasbn",
    seed: int = 0,
    directions: Sequence[Any] | None = None,
    trajectory: Sequence[Any] | None = None,
    trajectory_steps: Sequence[int] | None = None,
    max_batches: int | None = None,
    eval_mode: bool = True,
    vectorize: bool | None = None,
    chunk: int = 16,
) -> PlaneSlice:
    """The loss on a `grid` x `grid` slice `center + x * d1 + y * d2`, x and y in `span`.

    The directions are random Gaussian ones drawn with `seed` (the same for every run and step) and
    normalized per `normalization` ("filter" as in Li et al. 2018, "layer", "model" or "none"), or the two
    given in `directions` (state dicts or sequences aligned with the trainable parameters; normalized too
    unless normalization="none"). `trajectory` is a list of checkpoints (state dicts or modules) projected
    onto the plane; `trajectory_steps` (optional) is the training step of each checkpoint, stored with the
    plane so the Landscape tab can name them. The model is left bit-identical. Every argument (the trajectory too) is checked before
    the first evaluation; grid <= 256 (docs/limits.md).

    Example:
        >>> sl = tbs.landscape.plane(model, F.cross_entropy, val_loader, grid=25, max_batches=4)
        >>> tbs.log_slice(writer, "landscape/plane", sl, step=epoch)
    """
    # everything is checked before the first evaluation
    _check_call(model, loss_fn, max_batches, eval_mode, vectorize, chunk)
    grid = check_count(grid, "grid", MAX_GRID)
    lo, hi = check_span(span, "span")
    normalization = check_normalization(normalization, ignore)
    seed = check_seed(seed)
    params = trainable(model)
    if trajectory is not None:
        trajectory = check_checkpoints(trajectory, list(params), params, "trajectory")
    if trajectory_steps is not None:
        if trajectory is None:
            raise ValueError("trajectory_steps needs trajectory (the checkpoints the steps belong to)")
        trajectory_steps = check_trajectory_steps(trajectory_steps, "trajectory_steps", len(trajectory))
    batches = load_batches(data, max_batches, _device(model))
    center = {n: p.detach().clone() for n, p in params.items()}
    if directions is None:
        dirs = random_directions(model, seed=seed, normalization=normalization, ignore=ignore)
    else:
        pair = isinstance(directions, Sequence) and not isinstance(directions, (str, bytes)) and len(directions) == 2
        if not pair:
            raise ValueError(
                f"directions must be a pair (d1, d2) of state dicts or tensor sequences, got "
                f"{type(directions).__name__}"
            )
        dirs = []
        for i, d in enumerate(directions):
            given = as_tensors(d, list(params), params, f"directions[{i}]")
            dirs.append(normalize_direction({k: v.clone() for k, v in given.items()}, center, normalization, ignore))
    coords = np.linspace(lo, hi, grid)
    xx, yy = np.meshgrid(coords, coords)  # row i = ys[i], column j = xs[j]
    points = np.stack([xx.ravel(), yy.ravel()], axis=1)
    with preserved(model, eval_mode=eval_mode):
        evaluator = make_evaluator(model, loss_fn, batches, center, dirs, vectorize, chunk)
        losses = evaluator(points)
        center_loss = float(evaluator(np.zeros((1, 2)))[0])
    losses = _finite(losses, lambda i: f"plane point (x={points[i, 0]:g}, y={points[i, 1]:g})")
    projected = None if trajectory is None else project(center, trajectory, dirs)
    return PlaneSlice(
        coords,
        coords.copy(),
        losses.reshape(grid, grid),
        normalization=normalization,
        ignore=str(ignore),
        seed=None if directions is not None else int(seed),
        trajectory=projected,
        center_loss=center_loss,
        trajectory_steps=trajectory_steps,
    )
