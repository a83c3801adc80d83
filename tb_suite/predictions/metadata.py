"""Plugin name and tag-level content of the predictions family (versioned by tb_suite.core.metadata).

Imported by the TensorBoard plugin: never import torch here.
"""

from __future__ import annotations

from tb_suite.core.metadata import parse_plugin_content

PLUGIN_NAME = "tbs_predictions"
KINDS = ("scores", "labels")  # "scores": from log_predictions; "labels": from log_confusion_matrix


def plugin_content(kind: str) -> dict:
    """The tag-level content stored with the first record of a tag."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return {"kind": kind}


def parse_content(content: bytes) -> dict:
    """The content written by `plugin_content`; raises ValueError for newer versions or unknown kinds."""
    parsed = parse_plugin_content(content)
    if parsed.get("kind") not in KINDS:
        raise ValueError(f"unknown predictions kind {parsed.get('kind')!r}")
    return parsed
