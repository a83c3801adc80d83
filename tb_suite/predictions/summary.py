"""`log_predictions` and `log_confusion_matrix`: validate, compute on the tensor's device, store one record.

The record layout is documented in docs/http_api.md (section tbs_predictions).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from tb_suite.core.tensors import as_tensor
from tb_suite.core.validate import check_int, check_names, check_rank, check_step, check_tag, finite_or_none
from tb_suite.core.writer import as_writer
from tb_suite.predictions import compute
from tb_suite.predictions import metadata as md

THUMBNAIL_SIZE = 64
# Documented limits (docs/limits.md): the confusion matrix has C x C cells, so C is checked before it exists.
MAX_CLASSES = 4096  # score columns, num_classes, len(class_names)
MAX_INFERRED_CLASSES = 1024  # the largest label + 1 when neither num_classes nor class_names is given
MAX_EXAMPLES_PER_CELL = 64
_LIMITS = " (the documented limit, docs/limits.md)"


def _check_finite(tensor: torch.Tensor, name: str) -> None:
    if tensor.is_floating_point() and not bool(torch.isfinite(torch.stack(torch.aminmax(tensor))).all()):
        bad = int((~torch.isfinite(tensor)).sum())  # min and max propagate NaN and hold any Inf
        raise ValueError(f"{name} contains {bad} NaN or Inf value(s)")


def _scores(value: Any) -> torch.Tensor:
    scores = as_tensor(value, "scores")
    check_rank(scores, "scores", (1, 2))
    if scores.dtype == torch.bool:
        raise TypeError("scores must be probabilities or logits, got dtype bool")
    if scores.numel() == 0:
        raise ValueError(f"scores is empty (shape {tuple(scores.shape)})")
    if scores.ndim == 2 and scores.shape[1] < 2:
        raise ValueError(f"scores must have at least 2 columns (use shape [N] for binary), got {tuple(scores.shape)}")
    if scores.ndim == 2 and scores.shape[1] > MAX_CLASSES:
        raise ValueError(f"scores has {scores.shape[1]} columns (classes), more than {MAX_CLASSES}{_LIMITS}")
    _check_finite(scores, "scores")
    return scores


def _labels(value: Any, name: str, count: int | None, num_classes: int | None, bound: str = "") -> torch.Tensor:
    """Integer class labels [N] in [0, num_classes) as int64 (num_classes None: any label >= 0);
    `bound` says where num_classes came from, for the error message."""
    labels = as_tensor(value, name)
    check_rank(labels, name, (1,))
    if labels.numel() == 0:
        raise ValueError(f"{name} is empty")
    if count is not None and len(labels) != count:
        raise ValueError(f"{name} has {len(labels)} entries, expected {count} (one per sample)")
    if labels.is_floating_point():
        _check_finite(labels, name)
        if not bool((labels == labels.round()).all()):
            raise TypeError(f"{name} must hold integer class labels, got non-integer values of dtype {labels.dtype}")
    labels = labels.long()
    lo, hi = int(labels.min()), int(labels.max())
    if lo < 0 or (num_classes is not None and hi >= num_classes):
        limit = "" if num_classes is None else f" and < {num_classes}{bound}"
        raise ValueError(f"{name} must be class labels >= 0{limit}, got values from {lo} to {hi}")
    return labels


def _images(value: Any, count: int) -> torch.Tensor:
    """Images as [N, C, H, W] (a view) from [N, C, H, W], [N, H, W, C] (C = 1 or 3) or [N, H, W];
    uint8, or float in [0, 1]."""
    images = as_tensor(value, "images")
    check_rank(images, "images", (3, 4))
    if len(images) != count:
        raise ValueError(f"images has {len(images)} entries, expected {count} (one per sample)")
    if images.ndim == 3:
        images = images[:, None]
    elif images.shape[1] not in (1, 3):
        if images.shape[3] not in (1, 3):
            raise ValueError(
                f"images must be [N, C, H, W] or [N, H, W, C] with C = 1 or 3, or [N, H, W]; got {tuple(images.shape)}"
            )
        images = images.permute(0, 3, 1, 2)
    if images.shape[2] == 0 or images.shape[3] == 0:
        raise ValueError(f"images are empty (shape {tuple(images.shape)})")
    if images.dtype != torch.uint8:
        if not images.is_floating_point():
            raise TypeError(f"images must be uint8 or float in [0, 1], got dtype {images.dtype}")
        _check_finite(images, "images")
        lo, hi = torch.aminmax(images)
        if lo < 0 or hi > 1:
            raise ValueError(f"float images must lie in [0, 1], got values from {float(lo):.4g} to {float(hi):.4g}")
    return images


def _thumbnails(images: torch.Tensor, index: np.ndarray) -> np.ndarray:
    """uint8 RGB [M, h, w, 3] of the selected images, downscaled (area average) to fit 64x64."""
    height, width = images.shape[2:]
    scale = min(1.0, THUMBNAIL_SIZE / max(height, width))
    size = (max(1, round(height * scale)), max(1, round(width * scale)))
    if len(index) == 0:
        return np.zeros((0, *size, 3), np.uint8)
    picked = images.index_select(0, torch.from_numpy(index).to(images.device)).float()
    if images.dtype == torch.uint8:
        picked = picked / 255
    if size != (height, width):
        picked = torch.nn.functional.interpolate(picked, size=size, mode="area")
    picked = picked.expand(-1, 3, -1, -1)
    return (picked * 255).round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__}")
    return value


def _write(
    writer,
    tag: str,
    step: int,
    kind: str,
    metrics: compute.PredictionMetrics,
    class_names: list[str] | None,
    per_cell: int,
    thumbnails: np.ndarray | None,
    scalars: bool,
) -> None:
    meta = {
        "kind": kind,
        "num_classes": metrics.num_classes,
        "num_samples": metrics.num_samples,
        "class_names": class_names or [str(c) for c in range(metrics.num_classes)],
        "accuracy": metrics.accuracy,
        "examples_per_cell": per_cell,
        "has_images": thumbnails is not None,
    }
    arrays = {name: getattr(metrics, name) for name in md.CLASS_ARRAYS}
    if kind == "scores":
        for name in ("micro_auc", "macro_auc", "micro_ap", "macro_ap"):
            meta[name] = finite_or_none(getattr(metrics, name))
        for name in md.SCORE_ARRAYS:
            arrays[name] = getattr(metrics, name)
    for name in md.EXAMPLE_ARRAYS:
        arrays[name] = getattr(metrics, name)
    if thumbnails is not None:
        arrays[md.THUMBNAILS] = thumbnails
    writer.write_record(md.PLUGIN_NAME, tag, step, meta, arrays, content=md.create_content(kind), compress=True)
    if not scalars:
        return
    writer.write_scalar(f"{tag}/accuracy", metrics.accuracy, step)
    if kind == "scores" and math.isfinite(metrics.macro_auc):
        writer.write_scalar(f"{tag}/macro_auc", metrics.macro_auc, step)


def log_predictions(
    writer: Any,
    tag: str,
    scores: Any,
    targets: Any,
    *,
    step: int,
    class_names: Sequence[str] | None = None,
    images: Any = None,
    examples_per_cell: int = compute.EXAMPLES_PER_CELL,
    scalars: bool = False,
) -> None:
    """Log a classifier's scores on a batch: confusion matrix, ROC and precision-recall curves with
    exact AUC / average precision (per class, micro, macro), per-class precision/recall/F1/support, and
    up to `examples_per_cell` example indices per confusion cell (most confident first), with
    thumbnails when `images` are given. With `scalars=True` also writes the scalars `<tag>/accuracy`
    and `<tag>/macro_auc` (opt-in: they would clash with scalars of the same name the user logs).

    `scores`: `[N, C]` probabilities or logits (softmax is applied when rows are not probabilities),
    or `[N]` for binary (probability or logit of class 1); torch (any device; computed there) or numpy.
    `targets`: integer labels `[N]` in [0, C). `images`: `[N, C, H, W]`, `[N, H, W, C]` (C = 1 or 3) or
    `[N, H, W]`, uint8 or float in [0, 1]. Every argument is checked before anything is written:
    a bad one raises ValueError/TypeError naming it. At most 4,096 classes and 64 examples per cell
    (docs/limits.md).

    Example:
        >>> import tempfile, torch, tb_suite as tbs
        >>> run = tempfile.mkdtemp()
        >>> scores = torch.tensor([[0.9, 0.1], [0.3, 0.7], [0.6, 0.4], [0.2, 0.8]])
        >>> with tbs.Writer(run) as writer:
        ...     tbs.log_predictions(writer, "val", scores, [0, 1, 1, 1], step=0, class_names=["cat", "dog"])
        >>> meta, arrays = tbs.read_records(run, "tbs_predictions")["val"][0]
        >>> meta["accuracy"], meta["macro_auc"]
        (0.75, 1.0)
    """
    tag, step = check_tag(tag), check_step(step)
    scores = _scores(scores)
    num_classes = 2 if scores.ndim == 1 else scores.shape[1]
    targets = _labels(targets, "targets", len(scores), num_classes, " (the number of score columns)")
    class_names = check_names(class_names, "class_names", num_classes)
    per_cell = check_int(examples_per_cell, "examples_per_cell", minimum=0, maximum=MAX_EXAMPLES_PER_CELL, hint=_LIMITS)
    images = None if images is None else _images(images, len(scores))
    scalars = _flag(scalars, "scalars")
    writer = as_writer(writer)
    if not writer.enabled:
        return
    metrics = compute.prediction_metrics(scores, targets, examples_per_cell=per_cell)
    thumbnails = None if images is None else _thumbnails(images, metrics.example_index)
    _write(writer, tag, step, "scores", metrics, class_names, per_cell, thumbnails, scalars)


def log_confusion_matrix(
    writer: Any,
    tag: str,
    preds: Any,
    targets: Any,
    *,
    step: int,
    class_names: Sequence[str] | None = None,
    num_classes: int | None = None,
    scalars: bool = False,
) -> None:
    """Log the confusion matrix, per-class precision/recall/F1/support and example indices per cell of
    predicted labels (no scores: no curves). With `scalars=True` also writes the scalar `<tag>/accuracy`.

    `preds`, `targets`: integer labels `[N]`, torch or numpy. The number of classes is `num_classes`,
    else `len(class_names)`, else the largest label + 1. At most 4,096 classes, and 1,024 when they are
    inferred from the labels (docs/limits.md): a stray label does not make a huge matrix.

    Example:
        >>> import tempfile, tb_suite as tbs
        >>> run = tempfile.mkdtemp()
        >>> with tbs.Writer(run) as writer:
        ...     tbs.log_confusion_matrix(writer, "val", [0, 2, 1, 2], [0, 1, 1, 2], step=0,
        ...                              class_names=["cat", "dog", "bird"])
        >>> meta, arrays = tbs.read_records(run, "tbs_predictions")["val"][0]
        >>> arrays["confusion"]  # rows: true class, columns: predicted class
        array([[1, 0, 0],
               [0, 1, 1],
               [0, 0, 1]])
    """
    tag, step = check_tag(tag), check_step(step)
    bound = " (num_classes)"
    if num_classes is not None:
        num_classes = check_int(num_classes, "num_classes", minimum=1, maximum=MAX_CLASSES, hint=_LIMITS)
    elif class_names is not None:
        named = len(class_names) if hasattr(class_names, "__len__") else 0
        if named > MAX_CLASSES:
            raise ValueError(f"class_names has {named} entries, more than {MAX_CLASSES} classes{_LIMITS}")
        num_classes, bound = len(check_names(class_names, "class_names", named)), " (the length of class_names)"
    preds = _labels(preds, "preds", None, num_classes, bound)
    targets = _labels(targets, "targets", len(preds), num_classes, bound)
    if num_classes is None:
        for labels, name in ((preds, "preds"), (targets, "targets")):
            if int(labels.max()) >= MAX_INFERRED_CLASSES:
                raise ValueError(
                    f"{name} holds the label {int(labels.max())}: without num_classes at most "
                    f"{MAX_INFERRED_CLASSES} classes are inferred from the labels{_LIMITS}; pass num_classes "
                    f"(up to {MAX_CLASSES}) or class_names"
                )
        num_classes = int(max(preds.max(), targets.max())) + 1
    class_names = check_names(class_names, "class_names", num_classes)
    scalars = _flag(scalars, "scalars")
    writer = as_writer(writer)
    if not writer.enabled:
        return
    metrics = compute.label_metrics(preds, targets, num_classes, examples_per_cell=compute.EXAMPLES_PER_CELL)
    _write(writer, tag, step, "labels", metrics, class_names, compute.EXAMPLES_PER_CELL, None, scalars)
