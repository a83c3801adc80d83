"""Plugin name, tag-level content and record layout of the predictions family (docs/http_api.md,
`tbs_predictions`).

Imported by the TensorBoard plugin: never import torch here.
"""

from __future__ import annotations

PLUGIN_NAME = "tbs_predictions"
CONTENT_VERSION = 1
KINDS = ("scores", "labels")  # "scores": from log_predictions; "labels": from log_confusion_matrix

# Arrays of every record.
CONFUSION = "confusion"  # int64 [C, C], rows true class, columns predicted class
PRECISION, RECALL, F1 = "precision", "recall", "f1"  # float64 [C]
SUPPORT = "support"  # int64 [C]
CLASS_ARRAYS = (CONFUSION, PRECISION, RECALL, F1, SUPPORT)
# Arrays of "scores" records only: per-class AUC / AP (float64 [C]) and the concatenated curves.
AUC, AP = "auc", "ap"
ROC_FPR, ROC_TPR, ROC_OFFSETS = "roc_fpr", "roc_tpr", "roc_offsets"
PR_RECALL, PR_PRECISION, PR_OFFSETS = "pr_recall", "pr_precision", "pr_offsets"
SCORE_ARRAYS = (AUC, AP, ROC_FPR, ROC_TPR, ROC_OFFSETS, PR_RECALL, PR_PRECISION, PR_OFFSETS)
# The stored examples per confusion cell, `[M]` each, and their thumbnails `[M, H, W, 3]` when logged.
EXAMPLE_TRUE, EXAMPLE_PRED = "example_true", "example_pred"
EXAMPLE_INDEX, EXAMPLE_SCORE = "example_index", "example_score"
EXAMPLE_ARRAYS = (EXAMPLE_TRUE, EXAMPLE_PRED, EXAMPLE_INDEX, EXAMPLE_SCORE)
THUMBNAILS = "thumbnails"
ARRAYS = CLASS_ARRAYS + SCORE_ARRAYS + EXAMPLE_ARRAYS + (THUMBNAILS,)


def create_content(kind: str) -> dict:
    """The tag-level content stored with the first record of a tag."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return {"version": CONTENT_VERSION, "kind": kind}
