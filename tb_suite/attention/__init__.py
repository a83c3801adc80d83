"""The attention family: log attention maps and head statistics, and the math behind them.

`log_attention` / `log_head_stats` are also `tb_suite.log_attention` / `tb_suite.log_head_stats`.
The math (`rollout`, `head_entropy`, `head_importance`, `HeadMask`, `evaluate_head_mask`) and
`AttentionProbe` (what the Lightning and Hugging Face callbacks run) need torch;
it is imported on first use, so TensorBoard's side never imports torch.
"""

import importlib

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


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'tb_suite.attention' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value
