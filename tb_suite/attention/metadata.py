"""The attention family's plugin name and the tag-level content of its two kinds of record."""

from __future__ import annotations

PLUGIN_NAME = "tbs_attention"
CONTENT_VERSION = 1

# A tag holds one kind of record: attention maps (one record per step with every example's
# [layers, heads, queries, keys] weights) or head statistics ([layers, heads] matrices).
KIND_ATTENTION = "attention"
KIND_HEAD_STATS = "head_stats"

HEAD_STATS = ("entropy", "importance", "mask")


def attention_array(example: int) -> str:
    """Name of example `example`'s weights array, `[layers, heads, queries, keys]`."""
    return f"attn.{example}"


def rollout_array(example: int) -> str:
    """Name of example `example`'s attention rollout, `[queries, keys]` (self-attention only)."""
    return f"rollout.{example}"


def thumbnail_array(example: int) -> str:
    """Name of example `example`'s downsampled maps, `[layers, heads, tq, tk]` (long inputs only)."""
    return f"thumbs.{example}"


def create_content(kind: str) -> dict:
    """Tag-level plugin content: the tag's kind of record."""
    return {"version": CONTENT_VERSION, "kind": kind}
