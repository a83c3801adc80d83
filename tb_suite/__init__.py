"""tb-suite: TensorBoard plugins that show what happens inside a PyTorch model while it trains.

Importing this package is cheap: the public API below is loaded on first use, and nothing here
imports torch.
"""

from tb_suite.core.lazy import lazy_dir, lazy_getattr

__version__ = "0.1.0"

_EXPORTS = {
    "log_attention": "tb_suite.attention.summary",
    "log_head_stats": "tb_suite.attention.summary",
    "log_token_predictions": "tb_suite.tokens.summary",
    "Writer": "tb_suite.core.writer",
    "log_slice": "tb_suite.landscape.summary",
    "log_predictions": "tb_suite.predictions.summary",
    "log_confusion_matrix": "tb_suite.predictions.summary",
    "log_config": "tb_suite.runs.summary",
    "log_scalars": "tb_suite.runs.summary",
    "read_records": "tb_suite.core.reader",
    "LayerMonitor": "tb_suite.layers.monitor",
    "log_layer_stats": "tb_suite.layers.summary",
}
_SUBMODULES = {
    "lightning": "tb_suite.integrations.lightning",
    "transformers": "tb_suite.integrations.transformers",
    **{
        family: f"tb_suite.{family}" for family in ("attention", "landscape", "layers", "predictions", "runs", "tokens")
    },
}

__all__ = sorted([*_EXPORTS, *_SUBMODULES])
__getattr__ = lazy_getattr(__name__, _EXPORTS, _SUBMODULES)
__dir__ = lazy_dir(_EXPORTS, _SUBMODULES, extra=["__version__"])
del lazy_dir, lazy_getattr
