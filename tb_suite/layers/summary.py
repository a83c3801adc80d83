"""Layer records: built from per-layer statistics rows and written through the core `Writer`; and
`log_layer_stats` for tensors the user gathered themselves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tb_suite.core.validate import check_step, check_tag, is_torch_tensor
from tb_suite.core.writer import as_writer
from tb_suite.layers import analysis
from tb_suite.layers import metadata as md

MAX_BINS = 1024
Block = tuple[Sequence[int], np.ndarray]  # (layer indices [G], statistics rows [G, columns])


def check_bins(bins: Any) -> int:
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or not 2 <= bins <= MAX_BINS:
        raise ValueError(f"histogram_bins must be an int between 2 and {MAX_BINS}, got {bins!r}")
    return int(bins)


def stats_from_rows(
    num_layers: int,
    bins: int,
    activations: Block | None,
    gradients: Block | None,
    weights: Block | None,
    update_ratio: np.ndarray | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """`metadata.STATS` rows `[L]` and histograms `[L, bins]` per kind from host copies of
    `compute.tensor_row` rows (activations: followed by `compute.activation_extras`), each kind a block
    (layer indices `[G]`, rows `[G, columns]`) or None."""
    from tb_suite.layers import compute as c  # imports torch: writer side only

    stats = {name: np.full(num_layers, np.nan, np.float32) for name in md.STATS}
    hists = {kind: np.full((num_layers, bins), np.nan, np.float32) for kind in md.KINDS}
    columns = {
        "activations": (
            activations,
            {"act_mean": c.MEAN, "act_std": c.STD, "act_min": c.MIN, "act_max": c.MAX, "act_nonfinite": c.NONFINITE},
        ),
        "gradients": (
            gradients,
            {
                "grad_norm": c.NORM,
                "grad_mean_abs": c.MEAN_ABS,
                "grad_max_abs": c.MAX_ABS,
                "grad_min": c.MIN,
                "grad_max": c.MAX,
                "grad_nonfinite": c.NONFINITE,
            },
        ),
        "weights": (
            weights,
            {
                "weight_norm": c.NORM,
                "weight_mean": c.MEAN,
                "weight_std": c.STD,
                "weight_min": c.MIN,
                "weight_max": c.MAX,
            },
        ),
    }
    for kind, (block, names) in columns.items():
        if block is None or not len(block[0]):
            continue
        layers, table = np.asarray(block[0], np.int64), block[1]
        for name, column in names.items():
            stats[name][layers] = table[:, column]
        hists[kind][layers] = table[:, c.TENSOR_COLUMNS : c.TENSOR_COLUMNS + bins]
        if kind == "activations":
            extras = c.TENSOR_COLUMNS + bins
            stats["act_zero_frac"][layers] = table[:, extras + c.ZERO_FRAC]
            stats["act_dead_frac"][layers] = table[:, extras + c.DEAD_FRAC]
            stats["act_saturated_frac"][layers] = table[:, extras + c.SATURATED_FRAC]
    if update_ratio is not None:
        stats["update_ratio"][:] = update_ratio
    return stats, hists


def write_layer_record(
    writer: Any,
    tag: str,
    step: int,
    *,
    names: Sequence[str],
    types: Sequence[str],
    bins: int,
    stats: Mapping[str, np.ndarray],
    hists: Mapping[str, np.ndarray],
    diagnoses: list[dict],
    first_nonfinite: dict | None = None,
    extra_meta: Mapping | None = None,
    extra_arrays: Mapping[str, np.ndarray] | None = None,
    encodings: Mapping[str, str] | None = None,
) -> None:
    """Store one step's record (layout in `metadata`, docs/http_api.md)."""
    meta = {
        "layers": list(names),
        "types": list(types),
        "bins": bins,
        "stats": list(md.STATS),
        "diagnosis_kinds": [kind for kind, _ in md.DIAGNOSES],
        "first_nonfinite": first_nonfinite,
        **(extra_meta or {}),
    }
    arrays = {
        md.STATS_ARRAY: np.stack([np.asarray(stats[name], np.float32) for name in md.STATS]),
        md.DIAGNOSES_ARRAY: analysis.encode(diagnoses),
    }
    arrays.update({md.HISTOGRAMS[kind]: np.asarray(hists[kind], np.float32) for kind in md.KINDS})
    arrays.update(extra_arrays or {})
    as_writer(writer).write_record(
        md.PLUGIN_NAME,
        tag,
        step,
        meta,
        arrays,
        content=md.create_content(bins),
        encodings={**md.ENCODINGS, **(encodings or {})},
    )


def _named(named_tensors: Any) -> list[tuple[str, Any]]:
    if isinstance(named_tensors, Mapping):
        items = list(named_tensors.items())
    elif isinstance(named_tensors, (list, tuple)) and all(
        isinstance(item, (list, tuple)) and len(item) == 2 for item in named_tensors
    ):
        items = [tuple(item) for item in named_tensors]
    else:
        raise TypeError("named_tensors must be a mapping {name: tensor} or a sequence of (name, tensor) pairs")
    if not items:
        raise ValueError("named_tensors is empty")
    seen = set()
    for name, tensor in items:
        if not isinstance(name, str) or not name:
            raise ValueError(f"named_tensors: names must be non-empty strings, got {name!r}")
        if name in seen:
            raise ValueError(f"named_tensors: the name {name!r} appears twice")
        seen.add(name)
        if not (is_torch_tensor(tensor) or isinstance(tensor, np.ndarray)):
            raise TypeError(
                f"named_tensors[{name!r}] must be a torch tensor or a numpy array, got {type(tensor).__name__}"
            )
        kind = str(tensor.dtype)
        if isinstance(tensor, np.ndarray) and tensor.dtype.kind not in "iuf":
            raise TypeError(f"named_tensors[{name!r}] must be numeric, got dtype {kind}")
        if is_torch_tensor(tensor) and (tensor.dtype.is_complex or kind == "torch.bool"):
            raise TypeError(f"named_tensors[{name!r}] must be real numbers, got dtype {kind}")
        if tensor.ndim == 0 or 0 in tuple(tensor.shape):
            raise ValueError(
                f"named_tensors[{name!r}] must be a non-empty tensor with a batch axis, got shape {tuple(tensor.shape)}"
            )
    return items


def log_layer_stats(
    writer: Any,
    tag: str,
    named_tensors: Any,
    *,
    step: int,
    kind: str = "activations",
    histogram_bins: int = 64,
    thresholds: analysis.Thresholds | None = None,
) -> None:
    """Log the statistics and histograms `LayerMonitor` logs, of tensors you gathered yourself: one record
    for `step` with one layer per entry of `named_tensors` ({name: tensor} or (name, tensor) pairs, model
    order), as `kind` "activations" (outputs `[N, ...]`), "gradients" or "weights". NaN/Inf values are
    counted (and flagged), not rejected. Statistics are reduced on the tensors' device, copied once.

    Example:
        >>> import tempfile, torch, tb_suite as tbs
        >>> run = tempfile.mkdtemp()
        >>> h0, h1 = torch.randn(8, 16), torch.relu(torch.randn(8, 16))
        >>> with tbs.Writer(run) as writer:
        ...     tbs.log_layer_stats(writer, "probe", {"enc.0": h0, "enc.1": h1}, step=10)
        >>> meta, arrays = tbs.read_records(run, "tbs_layers")["probe"][10]
        >>> meta["layers"], meta["kind"]
        (['enc.0', 'enc.1'], 'activations')
    """
    import torch

    from tb_suite.layers import compute

    writer = as_writer(writer)
    tag, step = check_tag(tag), check_step(step)
    if kind not in md.KINDS:
        raise ValueError(f"kind must be one of {md.KINDS}, got {kind!r}")
    bins = check_bins(histogram_bins)
    thresholds = thresholds or analysis.Thresholds()
    if not isinstance(thresholds, analysis.Thresholds):
        raise TypeError("thresholds must be a tb_suite.layers.Thresholds")
    items = _named(named_tensors)
    if not writer.enabled:
        return
    rows = []
    for _, tensor in items:
        t = torch.from_numpy(np.ascontiguousarray(tensor)) if isinstance(tensor, np.ndarray) else tensor.detach()
        row = compute.tensor_row(t, bins)
        if kind == "activations":
            row = torch.cat([row, compute.activation_extras(t, "")])
        rows.append(row.to(rows[0].device) if rows else row)
    table = (range(len(items)), torch.stack(rows).cpu().numpy())  # the one device-to-host copy
    names = [name for name, _ in items]
    stats, hists = stats_from_rows(len(items), bins, *(table if k == kind else None for k in md.KINDS))
    write_layer_record(
        writer,
        tag,
        step,
        names=names,
        types=[""] * len(names),
        bins=bins,
        stats=stats,
        hists=hists,
        diagnoses=analysis.diagnose(stats, names, step, thresholds),
        first_nonfinite=analysis.first_nonfinite(stats, names, range(len(names)), step),
        extra_meta={"kind": kind},
    )
