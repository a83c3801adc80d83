"""Layer statistics on the tensors' own device, without host synchronisation (except on CPU, where it is free).

Every function returns one float32 device tensor ("a row"); a logged step concatenates all its rows and
copies them to the host once.
"""

from __future__ import annotations

import torch

# Columns of `tensor_row`, before the histogram.
COUNT, MEAN, STD, MIN, MAX, NORM, MEAN_ABS, MAX_ABS, NONFINITE = range(9)
TENSOR_COLUMNS = 9
# Columns of `activation_extras`.
ZERO_FRAC, DEAD_FRAC, SATURATED_FRAC = range(3)
SATURATION = 0.99  # a tanh output beyond +-0.99, a sigmoid output below 0.01 or above 0.99

_SIGMOID_LIKE = ("Sigmoid", "Hardsigmoid")
_TANH_LIKE = ("Tanh", "Hardtanh")


def tensor_row(values: torch.Tensor, bins: int, *, masked: bool | None = None) -> torch.Tensor:
    """`[count, mean, std, min, max, norm, mean |x|, max |x|, nonfinite]` over the finite values of
    `values` (population std; NaN when none is finite), then `bins` histogram fractions (edges as
    `analysis.histogram_edges(min, max, bins)`).

    `masked` (default: on every device but the CPU) computes with NaN/Inf masked in place instead of
    dropped, which never synchronises with the host.
    """
    x = values.detach().reshape(-1)
    if x.dtype != torch.float32:
        x = x.float()
    if masked is None:
        masked = x.device.type != "cpu"
    nan = torch.tensor(float("nan"), device=x.device)
    if masked:
        finite = torch.isfinite(x)
        n = finite.sum().float()
        safe = torch.where(finite, x, 0.0)
        mean = safe.sum() / n
        std = (torch.where(finite, x - mean, 0.0).square().sum() / n).sqrt()
        lo = torch.where(finite, x, float("inf")).amin() if x.numel() else nan
        hi = torch.where(finite, x, float("-inf")).amax() if x.numel() else nan
        norm = torch.linalg.vector_norm(safe)
        absolute = safe.abs()
        mean_abs = absolute.sum() / n
        max_abs = absolute.amax() if x.numel() else nan
        some = n > 0
        lo, hi, max_abs, norm = (torch.where(some, v, nan) for v in (lo, hi, max_abs, norm))
        hist = _histogram_masked(safe, finite, lo, hi, bins) / n
        head = torch.stack([n, mean, std, lo, hi, norm, mean_abs, max_abs, x.numel() - n])
        return torch.cat([head, hist])
    finite_count = int(torch.isfinite(x).sum()) if x.numel() else 0
    nonfinite = x.numel() - finite_count
    if nonfinite:
        x = x[torch.isfinite(x)]
    if finite_count == 0:
        row = torch.full((TENSOR_COLUMNS + bins,), float("nan"), device=x.device)
        row[COUNT], row[NONFINITE] = 0.0, float(nonfinite)
        return row
    lo, hi = torch.aminmax(x)
    mean = x.mean()
    std = (x - mean).square().mean().sqrt()
    absolute = x.abs()
    a, b = float(lo), float(hi)
    if a == b:
        a, b = a - 0.5, b + 0.5
    hist = torch.histc(x, bins, a, b) / finite_count
    head = torch.stack([
        torch.tensor(float(finite_count)), mean, std, lo, hi, torch.linalg.vector_norm(x), absolute.mean(),
        absolute.amax(), torch.tensor(float(nonfinite)),
    ])
    return torch.cat([head, hist])


def _histogram_masked(safe: torch.Tensor, finite: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor, bins: int):
    degenerate = hi == lo
    start = torch.where(degenerate, lo - 0.5, lo)
    width = torch.where(degenerate, torch.ones_like(hi), hi - lo)
    start = torch.nan_to_num(start)
    width = torch.nan_to_num(width, nan=1.0)
    index = ((torch.where(finite, safe, start) - start) * (bins / width)).floor().clamp_(0, bins - 1).long()
    return torch.zeros(bins, device=safe.device).scatter_add_(0, index, finite.float())


def unit_dims(ndim: int) -> int | None:
    """The axis holding the units of an output: channels (1) for `[N, C, ...]` images and volumes, the
    last axis for `[N, F]` and `[B, T, F]`; None for scalars and `[N]`."""
    if ndim >= 4:
        return 1
    if ndim >= 2:
        return ndim - 1
    return None


def activation_extras(output: torch.Tensor, module_type: str) -> torch.Tensor:
    """`[fraction of exact zeros, fraction of units that are 0 for the whole batch, fraction saturated]`;
    the saturated fraction is NaN but for tanh- and sigmoid-like modules."""
    y = output.detach()
    total = max(y.numel(), 1)
    nonzero = y != 0
    zero_frac = 1.0 - nonzero.sum() / total
    axis = unit_dims(y.ndim)
    if axis is None:
        alive = nonzero.any().reshape(1)
    else:
        alive = nonzero.movedim(axis, 0).reshape(y.shape[axis], -1).any(1) if y.numel() else nonzero.new_ones(1)
    dead_frac = 1.0 - alive.float().mean()
    if module_type in _SIGMOID_LIKE:
        saturated = ((y < 1 - SATURATION) | (y > SATURATION)).sum() / total
    elif module_type in _TANH_LIKE:
        saturated = (y.abs() > SATURATION).sum() / total
    else:
        saturated = torch.tensor(float("nan"), device=y.device)
    return torch.stack([zero_frac.float(), dead_frac.float(), saturated.float()])


def flat_cat(tensors: list[torch.Tensor]) -> torch.Tensor:
    """The tensors flattened into one float32 vector (one copy)."""
    if len(tensors) == 1:
        return tensors[0].detach().reshape(-1)
    return torch.cat([t.detach().reshape(-1).float() for t in tensors])
