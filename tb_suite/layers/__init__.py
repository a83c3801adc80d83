"""The layers family: per-layer activations, gradient flow, weights, update ratios and feature maps over
training, with diagnoses (vanishing / exploding gradients, dead layers, update ratios, the first NaN).

`LayerMonitor` and `log_layer_stats` are also `tb_suite.LayerMonitor` / `tb_suite.log_layer_stats`. They need
torch, which is imported on first use, so TensorBoard's side never imports torch.
"""

from tb_suite.core.lazy import lazy_dir, lazy_getattr

_EXPORTS = {
    "LayerMonitor": "tb_suite.layers.monitor",
    "select_layers": "tb_suite.layers.monitor",
    "log_layer_stats": "tb_suite.layers.summary",
    "Thresholds": "tb_suite.layers.analysis",
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_getattr(__name__, _EXPORTS)
__dir__ = lazy_dir(_EXPORTS)
del lazy_dir, lazy_getattr
