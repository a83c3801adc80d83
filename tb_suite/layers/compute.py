"""Layer statistics on the tensors' own device, without host synchronisation (except on CPU, where it is free).

Every function returns one float32 device tensor ("a row"); a logged step concatenates all its rows and
copies them to the host once.
"""

from __future__ import annotations

import math

import torch

# Columns of `tensor_row`, before the histogram.
COUNT, MEAN, STD, MIN, MAX, NORM, MEAN_ABS, MAX_ABS, NONFINITE = range(9)
TENSOR_COLUMNS = 9
# Columns of `activation_extras`.
ZERO_FRAC, DEAD_FRAC, SATURATED_FRAC = range(3)
SATURATION = 0.99  # a tanh output beyond +-0.99, a sigmoid output below 0.01 or above 0.99

_SIGMOID_LIKE = ("Sigmoid", "Hardsigmoid")
_TANH_LIKE = ("Tanh", "Hardtanh")


HISTOGRAM_SAMPLE = 1 << 14  # histograms are of an evenly strided sample of at most this many values


def histogram_sample(x: torch.Tensor) -> torch.Tensor:
    """Every k-th value of the flat `x`, k the smallest stride leaving at most `HISTOGRAM_SAMPLE` values."""
    stride = -(-x.numel() // HISTOGRAM_SAMPLE)
    return x if stride <= 1 else x[::stride]


def tensor_row(values: torch.Tensor, bins: int, *, masked: bool | None = None) -> torch.Tensor:
    """`[count, mean, std, min, max, norm, mean |x|, max |x|, nonfinite]` over the finite values of
    `values` (population std; NaN when none is finite), then `bins` histogram fractions of the finite
    values of `histogram_sample(values)` (edges as `analysis.histogram_edges(min, max, bins)` of the
    sample's min and max, which are the tensor's up to a strided sample of more than 2**14 values).

    `masked` (default: on every device but the CPU) computes with NaN/Inf masked in place instead of
    dropped, which never synchronises with the host; the CPU path uses fused reductions only.
    """
    x = values.detach().reshape(-1)
    if x.dtype != torch.float32:
        x = x.float()
    if masked is None:
        masked = x.device.type != "cpu"
    if masked:
        return _masked_row(x, bins)
    if x.numel() == 0:
        return _empty_row(bins, 0, x.device)
    # On the CPU, scalars are read as Python floats (free there): few torch calls per row.
    lo, hi = (float(v) for v in torch.aminmax(x))
    nonfinite = 0
    if not (math.isfinite(lo) and math.isfinite(hi)):  # NaN propagates into min and max; Inf is one of them
        finite = torch.isfinite(x)
        nonfinite = x.numel() - int(finite.sum())
        x = x[finite]
        if x.numel() == 0:
            return _empty_row(bins, nonfinite, x.device)
        lo, hi = (float(v) for v in torch.aminmax(x))
    n = x.numel()
    mean = float(x.mean())
    norm = float(torch.linalg.vector_norm(x))
    var = max(norm * norm / n - mean * mean, 0.0)
    if var * 100 < mean * mean:  # one-pass variance loses digits: two passes
        var = float(torch.linalg.vector_norm(x - mean)) ** 2 / n
    sample = histogram_sample(x)
    a, b = (float(v) for v in torch.aminmax(sample)) if sample is not x else (lo, hi)
    if a == b:
        a, b = a - 0.5, b + 0.5
    hist = torch.histc(sample, bins, a, b) / sample.numel()
    mean_abs = float(torch.linalg.vector_norm(x, 1)) / n
    head = torch.tensor(
        [n, mean, math.sqrt(var), lo, hi, norm, mean_abs, max(abs(lo), abs(hi)), nonfinite], dtype=torch.float32
    )
    return torch.cat([head, hist])


SAME_SIZE_BATCH = 4  # groups of one layout are reduced as the rows of a matrix from this many on


@torch.no_grad()
def group_rows(groups: list[list[torch.Tensor]], bins: int) -> torch.Tensor:
    """`tensor_row` of each group's tensors taken together (a layer's parameters or gradients), as the rows
    of one `[G, TENSOR_COLUMNS + bins]` tensor. The small all-finite groups on the CPU are reduced at once:
    groups of one layout (their tensors' shapes and dtypes) stacked into a matrix and reduced along its
    rows, the others with segment reductions, so a model of 1,000 small layers costs a few dozen torch
    calls, not a few per layer. Other groups go through `tensor_row` one by one (the result is then on
    their device)."""
    layouts: dict[tuple, list[int]] = {}
    for i, g in enumerate(groups):
        layouts.setdefault(tuple((t.shape, t.dtype, t.device) for t in g), []).append(i)
    blocks: list[tuple[list[int], torch.Tensor]] = []
    mixed, sizes = [], {}
    for layout, members in layouts.items():
        size = sum(math.prod(shape) for shape, _, _ in layout)
        if not (0 < size <= HISTOGRAM_SAMPLE and all(device.type == "cpu" for _, _, device in layout)):
            continue
        if len(members) < SAME_SIZE_BATCH:
            mixed += members
            sizes.update(dict.fromkeys(members, size))
            continue
        columns = [torch.stack([groups[i][k] for i in members]).reshape(len(members), -1) for k in range(len(layout))]
        matrix = (columns[0] if len(columns) == 1 else torch.cat(columns, 1)).float()
        if _finite(matrix):
            blocks.append((members, _matrix_rows(matrix, bins)))
    if len(mixed) > 1:
        flat = torch.cat([t.reshape(-1).float() for i in mixed for t in groups[i]])
        if _finite(flat):
            blocks.append((mixed, _segment_rows(flat, [sizes[i] for i in mixed], bins)))
    done = {i for members, _ in blocks for i in members}
    rest = [i for i in range(len(groups)) if i not in done]
    if rest:
        rows = [tensor_row(flat_cat(groups[i]), bins) for i in rest]
        blocks.append((rest, torch.stack([row.to(rows[0].device) for row in rows])))
    if len(blocks) == 1 and blocks[0][0] == list(range(len(groups))):
        return blocks[0][1]
    out = torch.empty((len(groups), TENSOR_COLUMNS + bins), device=blocks[-1][1].device)
    for members, block in blocks:
        out[torch.tensor(members, device=out.device)] = block.to(out.device)
    return out


def _finite(x: torch.Tensor) -> bool:
    lo, hi = (float(v) for v in torch.aminmax(x))
    return math.isfinite(lo) and math.isfinite(hi)


def _rows(n, mean, var, lo, hi, squares, mean_abs, hist) -> torch.Tensor:
    """`tensor_row`'s layout from per-group reductions (float64 `n`, `mean`, `var`, `squares`, `mean_abs`)."""
    head = [n, mean, var.sqrt(), lo.double(), hi.double(), squares.sqrt(), mean_abs]
    head += [torch.maximum(lo.abs(), hi.abs()).double(), torch.zeros_like(n)]
    return torch.cat([torch.stack(head, 1), hist], 1).float()


def _matrix_rows(m: torch.Tensor, bins: int) -> torch.Tensor:
    """Rows as `tensor_row`'s of each row of the finite matrix `m` `[G, n]` (n <= `HISTOGRAM_SAMPLE`)."""
    count, size = m.shape
    lo, hi = torch.aminmax(m, dim=1)
    n = torch.full((count,), float(size), dtype=torch.float64)
    mean = m.sum(1).double() / n
    squares = (m * m).sum(1).double()
    var = (squares / n - mean * mean).clamp(min=0)
    unsure = var * 100 < mean * mean  # one-pass variance loses digits there: two passes
    if bool(unsure.any()):
        centered = (m - mean.float()[:, None]).square_().sum(1).double() / n
        var = torch.where(unsure, centered, var)
    mean_abs = m.abs().sum(1).double() / n
    degenerate = hi == lo
    start = torch.where(degenerate, lo - 0.5, lo)
    width = torch.where(degenerate, torch.ones_like(hi), hi - lo)
    position = (m - start[:, None]).div_(width[:, None]).mul_(bins)  # a division: a tiny width times bins may overflow
    index = position.floor_().nan_to_num_(0).clamp_(0, bins - 1).long()
    index += torch.arange(count)[:, None] * bins
    hist = torch.bincount(index.reshape(-1), minlength=count * bins).reshape(count, bins).double() / n[:, None]
    return _rows(n, mean, var, lo, hi, squares, mean_abs, hist)


def _segment_rows(flat: torch.Tensor, sizes: list[int], bins: int) -> torch.Tensor:
    """Rows as `tensor_row`'s of consecutive segments of `sizes` values of the finite vector `flat`."""
    lengths = torch.tensor(sizes)
    segment = torch.repeat_interleave(torch.arange(len(sizes)), lengths)
    lo = torch.segment_reduce(flat, "min", lengths=lengths)
    hi = torch.segment_reduce(flat, "max", lengths=lengths)
    n = lengths.double()
    mean = torch.segment_reduce(flat, "sum", lengths=lengths).double() / n
    squares = torch.segment_reduce(flat * flat, "sum", lengths=lengths).double()
    var = (squares / n - mean * mean).clamp(min=0)
    unsure = var * 100 < mean * mean  # one-pass variance loses digits there: two passes
    if bool(unsure.any()):
        centered = torch.segment_reduce((flat - mean.float()[segment]) ** 2, "sum", lengths=lengths).double() / n
        var = torch.where(unsure, centered, var)
    mean_abs = torch.segment_reduce(flat.abs(), "sum", lengths=lengths).double() / n
    degenerate = hi == lo
    start = torch.where(degenerate, lo - 0.5, lo)
    width = torch.where(degenerate, torch.ones_like(hi), hi - lo)
    position = (flat - start[segment]) / width[segment] * bins  # a division: a tiny width times bins may overflow
    index = position.floor_().nan_to_num_(0).clamp_(0, bins - 1).long() + segment * bins
    hist = torch.bincount(index, minlength=len(sizes) * bins).reshape(len(sizes), bins).double() / n[:, None]
    return _rows(n, mean, var, lo, hi, squares, mean_abs, hist)


def _empty_row(bins: int, nonfinite: int, device) -> torch.Tensor:
    row = torch.full((TENSOR_COLUMNS + bins,), float("nan"), device=device)
    row[COUNT], row[NONFINITE] = 0.0, float(nonfinite)
    return row


def _masked_row(x: torch.Tensor, bins: int) -> torch.Tensor:
    nan = torch.tensor(float("nan"), device=x.device)
    if x.numel() == 0:
        return _empty_row(bins, 0, x.device)
    finite = torch.isfinite(x)
    n = finite.sum().float()
    safe = torch.where(finite, x, 0.0)
    mean = safe.sum() / n
    std = (torch.where(finite, x - mean, 0.0).square().sum() / n).sqrt()
    lo = torch.where(finite, x, float("inf")).amin()
    hi = torch.where(finite, x, float("-inf")).amax()
    norm = torch.linalg.vector_norm(safe)
    absolute = safe.abs()
    mean_abs = absolute.sum() / n
    some = n > 0
    lo, hi, max_abs, norm = (torch.where(some, v, nan) for v in (lo, hi, absolute.amax(), norm))
    sample, sample_finite = histogram_sample(safe), histogram_sample(finite)
    s_lo = torch.where(sample_finite, sample, float("inf")).amin()
    s_hi = torch.where(sample_finite, sample, float("-inf")).amax()
    hist = _histogram_masked(sample, sample_finite, s_lo, s_hi, bins) / sample_finite.sum()
    head = torch.stack([n, mean, std, lo, hi, norm, mean_abs, max_abs, x.numel() - n])
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


def activation_extras(output: torch.Tensor, module_type: str, *, masked: bool | None = None) -> torch.Tensor:
    """`[fraction of exact zeros, fraction of units that are 0 for the whole batch, fraction saturated]`;
    the saturated fraction is NaN but for tanh- and sigmoid-like modules. `masked` as in `tensor_row`."""
    y = output.detach()
    if y.dtype != torch.float32:
        y = y.float()
    total = max(y.numel(), 1)
    if y.numel() == 0:
        return torch.tensor([float("nan")] * 3, device=y.device)
    axis = unit_dims(y.ndim)
    others = tuple(d for d in range(y.ndim) if d != axis)
    if not (y.device.type != "cpu" if masked is None else masked):  # Python floats, few torch calls
        if math.isfinite(float(y.sum())):
            nonzero = float(torch.sign(y).abs_().sum())  # a fused reduction, no bool temporary
        else:  # sign(NaN) is 0, but NaN counts as non-zero, as in numpy's count_nonzero
            nonzero = float((y != 0).sum())
        if axis is None:
            dead = 0.0 if nonzero else 1.0
        else:
            dead = 1.0 - float(((y.amax(dim=others) != 0) | (y.amin(dim=others) != 0)).float().mean())
        saturated = _saturated(y, module_type)
        return torch.tensor([1.0 - nonzero / total, dead, float("nan") if saturated is None else float(saturated)])
    zero_frac = 1.0 - (y != 0).sum() / total
    if axis is None:
        alive = (y != 0).any().reshape(1)
    else:
        alive = (y.amax(dim=others) != 0) | (y.amin(dim=others) != 0)  # NaN != 0: alive
    dead_frac = 1.0 - alive.float().mean()
    saturated = _saturated(y, module_type)
    if saturated is None:
        saturated = torch.tensor(float("nan"), device=y.device)
    return torch.stack([zero_frac.float(), dead_frac.float(), saturated.float()])


SMALL_ACTIVATION = 4096  # outputs up to this size are copied in the hook and reduced together at the step


def activation_rows(items: list[tuple[torch.Tensor, str]], bins: int) -> torch.Tensor:
    """`tensor_row` + `activation_extras` of each (CPU output, module type), as the rows of one tensor,
    with few torch calls for many small outputs: statistics by `group_rows`, extras over the outputs of
    one shape and type stacked."""
    stats = group_rows([[y] for y, _ in items], bins)
    extras = torch.empty((len(items), 3))
    same: dict[tuple, list[int]] = {}
    for i, (y, module_type) in enumerate(items):
        same.setdefault((tuple(y.shape), module_type), []).append(i)
    for (shape, module_type), indices in same.items():
        if len(indices) == 1 or not shape or 0 in shape:
            for i in indices:
                extras[i] = activation_extras(items[i][0], module_type)
        else:
            extras[torch.tensor(indices)] = _stacked_extras(
                torch.stack([items[i][0] for i in indices]).float(), module_type
            )
    return torch.cat([stats, extras.to(stats.device)], 1)


def _stacked_extras(ys: torch.Tensor, module_type: str) -> torch.Tensor:
    """`activation_extras` of each of `ys[0], ys[1], ...` (outputs of one shape): `[G, 3]`."""
    flat = ys.reshape(ys.shape[0], -1)
    zero_frac = 1.0 - (flat != 0).sum(1) / flat.shape[1]  # NaN != 0: NaN counts as non-zero
    axis = unit_dims(ys.ndim - 1)
    if axis is None:
        dead_frac = ((flat != 0).sum(1) == 0).float()
    else:
        others = tuple(d for d in range(1, ys.ndim) if d != axis + 1)
        alive = (ys.amax(dim=others) != 0) | (ys.amin(dim=others) != 0)
        dead_frac = 1.0 - alive.float().mean(1)
    if module_type in _SIGMOID_LIKE:
        saturated = ((flat < 1 - SATURATION) | (flat > SATURATION)).float().mean(1)
    elif module_type in _TANH_LIKE:
        saturated = (flat.abs() > SATURATION).float().mean(1)
    else:
        saturated = torch.full_like(zero_frac, float("nan"))
    return torch.stack([zero_frac.float(), dead_frac.float(), saturated.float()], 1)


def _saturated(y: torch.Tensor, module_type: str) -> torch.Tensor | None:
    total = max(y.numel(), 1)
    if module_type in _SIGMOID_LIKE:
        return ((y < 1 - SATURATION) | (y > SATURATION)).sum() / total
    if module_type in _TANH_LIKE:
        return (y.abs() > SATURATION).sum() / total
    return None


def flat_cat(tensors: list[torch.Tensor]) -> torch.Tensor:
    """The tensors flattened into one float32 vector (one copy)."""
    if len(tensors) == 1:
        return tensors[0].detach().reshape(-1)
    return torch.cat([t.detach().reshape(-1).float() for t in tensors])
