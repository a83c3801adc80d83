"""The layers family's plugin name, tag-level content and record layout (see docs/http_api.md, `tbs_layers`)."""

from __future__ import annotations

import numpy as np

PLUGIN_NAME = "tbs_layers"
CONTENT_VERSION = 1

KINDS = ("activations", "gradients", "weights")

# Rows of the `stats` array `[K, L]` (one column per layer, model order; NaN where a layer has no such
# value, e.g. the gradients of an activation module). A row is read alone (one contiguous byte range).
ACTIVATION_STATS = (
    "act_mean",
    "act_std",
    "act_min",
    "act_max",
    "act_zero_frac",
    "act_dead_frac",
    "act_saturated_frac",
    "act_nonfinite",
)
GRADIENT_STATS = ("grad_norm", "grad_mean_abs", "grad_max_abs", "grad_min", "grad_max", "grad_nonfinite")
WEIGHT_STATS = ("weight_norm", "weight_mean", "weight_std", "weight_min", "weight_max")
UPDATE_STATS = ("update_ratio",)
STATS = ACTIVATION_STATS + GRADIENT_STATS + WEIGHT_STATS + UPDATE_STATS
STATS_ARRAY = "stats"

# Per kind: the `[L, bins]` histogram array (fractions of the finite values; edges as numpy.histogram
# over [min, max] of that kind, or [v - 0.5, v + 0.5] when min == max == v) and its min/max rows.
HISTOGRAMS = {"activations": "act_hist", "gradients": "grad_hist", "weights": "weight_hist"}
HISTOGRAM_RANGES = {
    "activations": ("act_min", "act_max"),
    "gradients": ("grad_min", "grad_max"),
    "weights": ("weight_min", "weight_max"),
}
PARAM_UPDATE_RATIO = "param_update_ratio"  # float32 [P]: ||delta w|| / ||w|| per parameter
PARAM_LAYER = "param_layer"  # int32 [P]: the layer each parameter belongs to
PARAM_NAMES = "param_names"  # uint8: each parameter's name inside its layer, UTF-8, joined by newlines
ORDER = "order"  # int32: layer indices in forward execution order (arrays keep 1,000-layer headers small)


def join_names(names) -> np.ndarray:
    return np.frombuffer("\n".join(names).encode(), dtype=np.uint8).copy()


def split_names(codes) -> list[str]:
    text = bytes(codes).decode()
    return text.split("\n") if text else []


MAX_FEATURE_MAPS = 16  # modules per monitor
MAX_CHANNELS = 64


def feature_map_array(index: int) -> str:
    """Name of the `index`-th feature-map module's array `[C, H, W]` (first example, up to 64 channels)."""
    return f"fmap.{index}"


HEAVY_ARRAYS = frozenset(feature_map_array(i) for i in range(MAX_FEATURE_MAPS))

ENCODINGS = {name: "f16" for name in HISTOGRAMS.values()}

# Diagnosis kinds, most severe first (severity 3: the run is broken, 2: a layer does not learn, 1: suspicious).
SEVERITY = {"nonfinite": 3, "exploding": 3, "vanishing": 2, "dead": 1, "update_ratio": 1}

# A step's diagnoses: float32 `[D, 4]` rows (code, layer index, value or NaN, threshold), code indexing
# DIAGNOSES: (kind, message template). Arrays keep record headers small when a big model is all flagged.
DIAGNOSES_ARRAY = "diagnoses"
DIAGNOSES = (
    ("nonfinite", "{value:.0f} NaN/Inf value(s) in the activations"),
    ("nonfinite", "{value:.0f} NaN/Inf value(s) in the gradients"),
    ("nonfinite", "the first NaN/Inf of the run"),
    ("exploding", "gradient norm {value:.3g} is above {threshold:.3g}"),
    ("exploding", "gradient norm grew {value:.3g}x since the previous logged step (more than {threshold:.3g}x)"),
    ("vanishing", "gradient norm {value:.3g} is below {threshold:.3g}"),
    ("dead", "{value:.0%} of the units output 0 for the whole batch"),
    ("update_ratio", "update/weight ratio {value:.2g} is below {threshold:.2g}"),
    ("update_ratio", "update/weight ratio {value:.2g} is above {threshold:.2g}"),
)
DIAGNOSIS_CODES = {
    name: code
    for code, name in enumerate(
        (
            "nonfinite_activations",
            "nonfinite_gradients",
            "first_nonfinite",
            "exploding_norm",
            "exploding_growth",
            "vanishing",
            "dead",
            "update_ratio_low",
            "update_ratio_high",
        )
    )
}

# Every array name of a record but the feature maps' `feature_map_array(i)`.
ARRAYS = (STATS_ARRAY, *HISTOGRAMS.values(), DIAGNOSES_ARRAY, PARAM_UPDATE_RATIO, PARAM_LAYER, PARAM_NAMES, ORDER)


def create_content(bins: int) -> dict:
    """Tag-level plugin content (readers keep the first one per run and tag)."""
    return {"version": CONTENT_VERSION, "bins": int(bins)}
