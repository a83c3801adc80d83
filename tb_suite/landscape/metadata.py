"""Plugin name, tag-level content and record layout of the landscape family (docs/http_api.md,
`tbs_landscape`; no torch here)."""

from __future__ import annotations

PLUGIN_NAME = "tbs_landscape"
CONTENT_VERSION = 1

# Arrays of a record, float32 unless said; which ones depends on the slice type (meta "type").
LOSS = "loss"  # linear [n], axis [k, n], plane [g, g] (loss[i, j] at (x[j], y[i]))
ALPHA = "alpha"  # linear [n]: the loss is at start + alpha * (end - start)
OFFSET, VALUE = "offset", "value"  # axis [n]: the offsets each parameter moves by; [k]: their values
X, Y = "x", "y"  # plane [g] each
TRAJECTORY = "trajectory"  # plane [K, 2]: plane coordinates of checkpoints, only when projected
TRAJECTORY_STEPS = "trajectory_steps"  # plane int32 [K]: the training step of each checkpoint, when known
ARRAYS = (LOSS, ALPHA, OFFSET, VALUE, X, Y, TRAJECTORY, TRAJECTORY_STEPS)


def create_content(slice_type: str) -> dict:
    """Tag-level content: the slice type of the tag's first record (each record's meta repeats it)."""
    return {"version": CONTENT_VERSION, "type": slice_type}
