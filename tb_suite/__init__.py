"""tb-suite: TensorBoard plugins that show what happens inside a PyTorch model while it trains.

Importing this package is cheap: the public API below is loaded on first use, and nothing here
imports torch.
"""

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "log_attention": "tb_suite.attention.summary",
    "log_head_stats": "tb_suite.attention.summary",
    "log_token_predictions": "tb_suite.tokens.summary",
    "Writer": "tb_suite.core.writer",
    "log_slice": "tb_suite.landscape.summary",
    "log_predictions": "tb_suite.predictions.summary",
    "log_confusion_matrix": "tb_suite.predictions.summary",
}
_INTEGRATIONS = ("lightning", "transformers")
_FAMILIES = ("attention", "landscape", "predictions", "tokens")  # `tbs.landscape.plane(...)` etc.

__all__ = sorted([*_EXPORTS, *_INTEGRATIONS, *_FAMILIES])


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    elif name in _INTEGRATIONS:
        value = importlib.import_module(f"tb_suite.integrations.{name}")
    elif name in _FAMILIES:
        value = importlib.import_module(f"tb_suite.{name}")
    else:
        raise AttributeError(f"module 'tb_suite' has no attribute {name!r}")
    globals()[name] = value
    return value
