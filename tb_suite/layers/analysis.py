"""Diagnoses of layer statistics and histogram re-binning: numpy only, used when writing and when serving."""

from __future__ import annotations

import dataclasses
import math
from typing import Iterable, Mapping, Sequence

import numpy as np

from tb_suite.layers.metadata import SEVERITY


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


def flag(kind: str, layer: int, names: Sequence[str], step: int, value: float, threshold: float, message: str) -> dict:
    return {
        "kind": kind,
        "severity": SEVERITY[kind],
        "layer": int(layer),
        "name": names[layer],
        "step": int(step),
        "value": float(value) if math.isfinite(value) else None,
        "threshold": float(threshold),
        "message": message,
    }


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
    for i in np.flatnonzero((stats["act_nonfinite"] > 0) | (stats["grad_nonfinite"] > 0)):
        where = "activations" if stats["act_nonfinite"][i] > 0 else "gradients"
        count = stats["act_nonfinite"][i] if where == "activations" else stats["grad_nonfinite"][i]
        flags.append(flag("nonfinite", i, names, step, count, 0, f"{int(count)} NaN/Inf value(s) in the {where}"))
    finite_grad = np.isfinite(grad)
    if finite_grad.any():
        largest = float(grad[finite_grad].max())
        limit = max(t.vanishing_fraction * largest, t.vanishing_floor)
        for i in np.flatnonzero(finite_grad & (grad < limit)):
            reason = (f"below the floor {t.vanishing_floor:g}" if limit == t.vanishing_floor
                      else f"below {t.vanishing_fraction:g} x the largest layer's ({largest:.3g})")
            flags.append(flag("vanishing", i, names, step, grad[i], limit, f"gradient norm {grad[i]:.3g} is {reason}"))
        growth = None
        if previous_grad_norm is not None and len(previous_grad_norm) == len(grad):
            with np.errstate(divide="ignore", invalid="ignore"):
                growth = grad / previous_grad_norm
        for i in np.flatnonzero(finite_grad):
            if grad[i] > t.exploding_norm:
                flags.append(flag("exploding", i, names, step, grad[i], t.exploding_norm,
                                   f"gradient norm {grad[i]:.3g} is above {t.exploding_norm:g}"))
            elif growth is not None and np.isfinite(growth[i]) and growth[i] > t.exploding_growth:
                flags.append(flag("exploding", i, names, step, growth[i], t.exploding_growth,
                                   f"gradient norm grew {growth[i]:.3g}x since the previous logged step"))
    dead = stats["act_dead_frac"]
    for i in np.flatnonzero(np.isfinite(dead) & (dead > t.dead_fraction)):
        flags.append(flag("dead", i, names, step, dead[i], t.dead_fraction,
                           f"{dead[i]:.0%} of the units output 0 for the whole batch"))
    ratio = stats["update_ratio"]
    for i in np.flatnonzero(np.isfinite(ratio) & ((ratio < t.update_ratio_low) | (ratio > t.update_ratio_high))):
        low = ratio[i] < t.update_ratio_low
        flags.append(flag("update_ratio", i, names, step, ratio[i], t.update_ratio_low if low else t.update_ratio_high,
                           f"update/weight ratio {ratio[i]:.2g} is {'below' if low else 'above'} "
                           f"{t.update_ratio_low if low else t.update_ratio_high:g}"))
    flags.sort(key=lambda f: (-f["severity"], f["layer"]))
    return flags


def first_nonfinite(stats: Mapping[str, np.ndarray], names: Sequence[str], order: Sequence[int], step: int) -> dict | None:
    """Where a NaN/Inf first appears in one logged step: the first module in forward execution `order` with a
    non-finite output, else the first in backward order (the reverse) with non-finite gradients."""
    for i in order:
        if stats["act_nonfinite"][i] > 0:
            return {"step": int(step), "layer": int(i), "name": names[i], "pass": "forward"}
    backward = list(reversed(order)) + [i for i in range(len(names)) if i not in set(order)]
    for i in backward:
        if stats["grad_nonfinite"][i] > 0:
            return {"step": int(step), "layer": int(i), "name": names[i], "pass": "backward"}
    return None


def summarize(per_step: Iterable[tuple[int, list[dict]]]) -> list[dict]:
    """One entry per (kind, layer name) over logged steps: first and last step flagged, how many steps, the
    worst value and the first message; most severe first, then by first step."""
    merged: dict[tuple[str, str], dict] = {}
    for step, flags in sorted(per_step, key=lambda item: item[0]):
        for flag in flags:
            key = (flag["kind"], flag["name"])
            entry = merged.get(key)
            if entry is None:
                merged[key] = {**flag, "first_step": int(step), "last_step": int(step), "steps": 1, "worst": flag["value"]}
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
    if flag["kind"] == "vanishing" or (flag["kind"] == "update_ratio" and value < flag["threshold"]):
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
