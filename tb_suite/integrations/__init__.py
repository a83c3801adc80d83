"""Framework integrations: Lightning callbacks and Hugging Face Trainer support.

Each module imports its framework when it is imported itself (`tbs.lightning`, `tbs.transformers`), never
when `tb_suite` is; a missing framework raises an ImportError naming the extra to install.
"""

from __future__ import annotations

import importlib
from types import ModuleType


def require(module: str, extra: str) -> ModuleType:
    """Import `module`, or raise an ImportError telling which tb-suite extra provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"tb_suite.integrations.{extra} needs the {module.split('.')[0]!r} package: pip install 'tb-suite[{extra}]'"
        ) from exc
