"""Plugin name and the tag-level plugin content of the landscape family (no torch here)."""

from __future__ import annotations

PLUGIN_NAME = "tbs_landscape"


def content(slice_type: str) -> dict:
    """Tag-level content: the slice type of the tag's first record (each record's meta repeats it)."""
    return {"type": slice_type}
