"""Plugin metadata shared by every family: versioned JSON content in `SummaryMetadata.plugin_data`.

Each family's metadata.py has a `CONTENT_VERSION` and a `create_content(...)` whose dict carries it; its
plugin reads content through `parse_plugin_content` with that version and a migration hook for older ones
(as TensorBoard's plugins do with their PROTO_VERSION). Content from a newer tb-suite raises
`NewerContentError`: the plugin leaves that tag out of its listing, with one warning.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from tensorboard.compat.proto import summary_pb2

# The version of content that does not say (families still at their first version).
CONTENT_VERSION = 1


class NewerContentError(ValueError):
    """Plugin content written by a newer tb-suite than this one."""


def create_summary_metadata(plugin_name: str, content: dict, description: str = "") -> summary_pb2.SummaryMetadata:
    """Metadata for a TENSOR summary of `plugin_name`; `data_class` must be set or the Rust server drops it.
    `content["version"]`, the family's content version, defaults to `CONTENT_VERSION`."""
    return summary_pb2.SummaryMetadata(
        summary_description=description,
        plugin_data=summary_pb2.SummaryMetadata.PluginData(
            plugin_name=plugin_name,
            content=json.dumps({"version": CONTENT_VERSION, **content}, separators=(",", ":")).encode(),
        ),
        data_class=summary_pb2.DATA_CLASS_TENSOR,
    )


def parse_plugin_content(
    content: bytes, version: int = CONTENT_VERSION, migrate: Callable[[dict, int], dict] | None = None
) -> dict:
    """The JSON content written by `create_summary_metadata`, for a reader of content version `version`:
    older content passes through `migrate(content, its_version)`; newer content raises `NewerContentError`,
    anything that is not a JSON object ValueError."""
    try:
        parsed = json.loads(content.decode() or "{}") if content else {}
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ValueError("plugin content is not JSON") from exc
    if not isinstance(parsed, dict):
        raise ValueError("plugin content is not a JSON object")
    written = parsed.get("version", 0)
    if type(written) is not int:
        raise ValueError(f"plugin content version {written!r} is not an integer")
    if written > version:
        raise NewerContentError(
            f"data written by a newer tb-suite (content version {written}, this one reads {version}); upgrade tb-suite"
        )
    if written < version and migrate is not None:
        parsed = migrate(parsed, written)
    return parsed
