"""Diagnoses of layer statistics and histogram re-binning: numpy only, used when writing and when serving."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from tb_suite.layers import metadata as md


@dataclasses.dataclass(frozen=True)
class Thresholds:
    """When a layer is flagged (see `diagnose`)."""

    vanishing_fraction: float = 1e-3  # gradient norm below this fraction of the largest layer's
    vanishing_floor: float = 1e-7  # or below this absolute norm
    exploding_norm: float = 1e3  # gradient norm above this
    exploding_growth: float = 100.0  # or grown by more than this factor since the previous logged step
    dead_fraction: float = 0.5  # more than this fraction of the units output exactly 0 for the whole batch
    update_ratio_low: float = 1e-4  # ||delta w|| / ||w|| outside [low, high]
    update_ratio_high: float = 1e-2

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
                raise ValueError(f"thresholds.{field.name} must be a positive finite number, got {value!r}")
        if self.update_ratio_low >= self.update_ratio_high:
            raise ValueError("thresholds.update_ratio_low must be below thresholds.update_ratio_high")

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def flag(code: str, layer: int, names: Sequence[str], step: int, value: float, threshold: float) -> dict:
    """One diagnosis: `code` a key of `metadata.DIAGNOSIS_CODES`."""
    return describe(md.DIAGNOSIS_CODES[code], layer, names, step, value, threshold)


def describe(code: int, layer: int, names: Sequence[str], step: int, value: float, threshold: float) -> dict:
    kind, template = md.DIAGNOSES[code]
    finite = math.isfinite(value)
    return {
        "kind": kind,
        "code": int(code),
        "severity": md.SEVERITY[kind],
        "layer": int(layer),
        "name": names[layer],
        "step": int(step),
        "value": float(value) if finite else None,
        "threshold": float(threshold),
        "message": template.format(value=value if finite else float("nan"), threshold=threshold),
    }


def encode(flags: Sequence[dict]) -> np.ndarray:
    """The `[D, 4]` float32 array a record stores `flags` as."""
    rows = [(f["code"], f["layer"], np.nan if f["value"] is None else f["value"], f["threshold"]) for f in flags]
    return np.asarray(rows, np.float32).reshape(len(rows), 4)


def decode(rows: np.ndarray, names: Sequence[str], step: int) -> list[dict]:
    """The flags of a stored `[D, 4]` array; ValueError for a row that names no code or layer."""
    rows = np.asarray(rows, np.float64)
    if rows.ndim != 2 or rows.shape[1] != 4:
        raise ValueError(f"diagnoses must be [D, 4], got {list(rows.shape)}")
    out = []
    for code, layer, value, threshold in rows:
        if not (
            0 <= code < len(md.DIAGNOSES) and code == int(code) and 0 <= layer < len(names) and layer == int(layer)
        ):
            raise ValueError(f"diagnosis row ({code}, {layer}) names no known code or layer")
        out.append(describe(int(code), int(layer), names, step, float(value), float(threshold)))
    return out


def diagnose(
    stats: Mapping[str, np.ndarray],
    names: Sequence[str],
    step: int,
    thresholds: Thresholds,
    previous_grad_norm: np.ndarray | None = None,
) -> list[dict]:
    """The flags of one logged step, most severe first. `stats` maps `metadata.STATS` names to `[L]` arrays
    (NaN where a layer has no such value); `previous_grad_norm` is the previous logged step's `grad_norm`."""
    t = thresholds
    flags: list[dict] = []
    grad = stats["grad_norm"]
    for i in np.flatnonzero(stats["act_nonfinite"] > 0):
        flags.append(flag("nonfinite_activations", i, names, step, stats["act_nonfinite"][i], 0))
    for i in np.flatnonzero(stats["grad_nonfinite"] > 0):
        flags.append(flag("nonfinite_gradients", i, names, step, stats["grad_nonfinite"][i], 0))
    finite_grad = np.isfinite(grad)
    if finite_grad.any():
        largest = float(grad[finite_grad].max())
        limit = max(t.vanishing_fraction * largest, t.vanishing_floor)
        for i in np.flatnonzero(finite_grad & (grad < limit)):
            flags.append(flag("vanishing", i, names, step, grad[i], limit))
        growth = None
        if previous_grad_norm is not None and len(previous_grad_norm) == len(grad):
            with np.errstate(divide="ignore", invalid="ignore"):
                growth = grad / previous_grad_norm
        for i in np.flatnonzero(finite_grad):
            if grad[i] > t.exploding_norm:
                flags.append(flag("exploding_norm", i, names, step, grad[i], t.exploding_norm))
            elif growth is not None and np.isfinite(growth[i]) and growth[i] > t.exploding_growth:
                flags.append(flag("exploding_growth", i, names, step, growth[i], t.exploding_growth))
    dead = stats["act_dead_frac"]
    for i in np.flatnonzero(np.isfinite(dead) & (dead > t.dead_fraction)):
        flags.append(flag("dead", i, names, step, dead[i], t.dead_fraction))
    ratio = stats["update_ratio"]
    for i in np.flatnonzero(np.isfinite(ratio) & (ratio < t.update_ratio_low)):
        flags.append(flag("update_ratio_low", i, names, step, ratio[i], t.update_ratio_low))
    for i in np.flatnonzero(np.isfinite(ratio) & (ratio > t.update_ratio_high)):
        flags.append(flag("update_ratio_high", i, names, step, ratio[i], t.update_ratio_high))
    flags.sort(key=lambda f: (-f["severity"], f["layer"]))
    return flags


def first_nonfinite(
    stats: Mapping[str, np.ndarray], names: Sequence[str], order: Sequence[int], step: int
) -> dict | None:
    """Where a NaN/Inf first appears in one logged step: the first module in forward execution `order` with a
    non-finite output, else the first in backward order (the reverse) with non-finite gradients."""
    if (stats["act_nonfinite"] > 0).any():
        for i in order:
            if stats["act_nonfinite"][i] > 0:
                return {"step": int(step), "layer": int(i), "name": names[i], "pass": "forward"}
    if (stats["grad_nonfinite"] > 0).any():
        seen = set(order)
        for i in list(reversed(order)) + [i for i in range(len(names)) if i not in seen]:
            if stats["grad_nonfinite"][i] > 0:
                return {"step": int(step), "layer": int(i), "name": names[i], "pass": "backward"}
    return None


def summarize(per_step: Iterable[tuple[int, list[dict]]]) -> list[dict]:
    """One entry per (kind, layer name) over logged steps: first and last step flagged, how many steps, the
    worst value and the first message; most severe first, then by first step."""
    merged: dict[tuple[str, str], dict] = {}
    for step, flags in sorted(per_step, key=lambda item: item[0]):
        for flag in flags:
            key = (flag["code"], flag["name"])
            entry = merged.get(key)
            if entry is None:
                merged[key] = {
                    **flag,
                    "first_step": int(step),
                    "last_step": int(step),
                    "steps": 1,
                    "worst": flag["value"],
                }
                continue
            entry["last_step"] = int(step)
            entry["steps"] += 1
            value = flag["value"]
            if value is not None and (entry["worst"] is None or _worse(flag, value, entry["worst"])):
                entry["worst"] = value
    out = list(merged.values())
    for entry in out:
        del entry["step"], entry["value"]
    out.sort(key=lambda e: (-e["severity"], e["first_step"], e["layer"]))
    return out


def _worse(flag: dict, value: float, current: float) -> bool:
    if flag["code"] in (md.DIAGNOSIS_CODES["vanishing"], md.DIAGNOSIS_CODES["update_ratio_low"]):
        return value < current
    return value > current


def histogram_edges(lo: float, hi: float, bins: int) -> np.ndarray:
    """The bin edges of a stored histogram, as numpy.histogram makes them for range (lo, hi)."""
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return np.linspace(lo, hi, bins + 1)


def rebin(fractions: np.ndarray, lo: float, hi: float, edges: np.ndarray) -> np.ndarray:
    """A stored histogram (fractions over `bins` equal bins of [lo, hi]) moved onto `edges`, each source
    bin's mass spread uniformly over its width. NaN everywhere when the histogram is absent."""
    fractions = np.asarray(fractions, dtype=np.float64)
    if not (np.isfinite(lo) and np.isfinite(hi)) or not np.isfinite(fractions).all():
        return np.full(len(edges) - 1, np.nan)
    source = histogram_edges(float(lo), float(hi), len(fractions))
    cdf = np.concatenate([[0.0], np.cumsum(fractions)])
    return np.diff(np.interp(edges, source, cdf))
