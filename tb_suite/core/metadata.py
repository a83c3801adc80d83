"""Plugin metadata shared by every family: versioned JSON content in `SummaryMetadata.plugin_data`."""

from __future__ import annotations

import json

from tensorboard.compat.proto import summary_pb2

CONTENT_VERSION = 1


def create_summary_metadata(plugin_name: str, content: dict, description: str = "") -> summary_pb2.SummaryMetadata:
    """Metadata for a TENSOR summary of `plugin_name`; `data_class` must be set or the Rust server drops it."""
    return summary_pb2.SummaryMetadata(
        summary_description=description,
        plugin_data=summary_pb2.SummaryMetadata.PluginData(
            plugin_name=plugin_name,
            content=json.dumps({"version": CONTENT_VERSION, **content}, separators=(",", ":")).encode(),
        ),
        data_class=summary_pb2.DATA_CLASS_TENSOR,
    )


def parse_plugin_content(content: bytes) -> dict:
    """The JSON content written by `create_summary_metadata`; raises ValueError for newer versions."""
    parsed = json.loads(content.decode() or "{}") if content else {}
    if not isinstance(parsed, dict):
        raise ValueError("plugin content is not a JSON object")
    if parsed.get("version", 0) > CONTENT_VERSION:
        raise ValueError(
            f"data written by a newer tb-suite (content version {parsed['version']}); upgrade tb-suite"
        )
    return parsed
