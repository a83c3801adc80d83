"""The attention family: log attention maps and head statistics, and the math behind them.

`log_attention` / `log_head_stats` are also `tb_suite.log_attention` / `tb_suite.log_head_stats`.
The math (`rollout`, `head_entropy`, `head_importance`, `HeadMask`, `evaluate_head_mask`) and
`AttentionProbe` (what the Lightning and Hugging Face callbacks run) need torch;
it is imported on first use, so TensorBoard's side never imports torch.
"""

from tb_suite.core.lazy import lazy_dir, lazy_getattr

_EXPORTS = {
    "log_attention": "tb_suite.attention.summary",
    "log_head_stats": "tb_suite.attention.summary",
    "rollout": "tb_suite.attention.compute",
    "head_entropy": "tb_suite.attention.compute",
    "HeadGates": "tb_suite.attention.heads",
    "HeadMask": "tb_suite.attention.heads",
    "head_importance": "tb_suite.attention.heads",
    "evaluate_head_mask": "tb_suite.attention.heads",
    "attention_sites": "tb_suite.attention.heads",
    "AttentionProbe": "tb_suite.attention.probe",
}

__all__ = sorted(_EXPORTS)

__getattr__ = lazy_getattr(__name__, _EXPORTS)
__dir__ = lazy_dir(_EXPORTS)
del lazy_dir, lazy_getattr
