"""The tokens family: log per-token next-token predictions (top-k, entropy, target rank, loss) and import
Sequence Training Visualizer files.

`log_token_predictions` is also `tb_suite.log_token_predictions`. `token_stats`, `next_token_targets` and the
probe helpers the callbacks use (`probe_batch`, `log_probes`) need torch, which is imported on first use,
so TensorBoard's side never imports torch.
"""

from tb_suite.core.lazy import lazy_dir, lazy_getattr

_EXPORTS = {
    "log_token_predictions": "tb_suite.tokens.summary",
    "token_stats": "tb_suite.tokens.compute",
    "next_token_targets": "tb_suite.tokens.compute",
    "TokenStats": "tb_suite.tokens.compute",
    "probe_batch": "tb_suite.tokens.probes",
    "log_probes": "tb_suite.tokens.probes",
    "import_seqviz": "tb_suite.tokens.seqviz",
    "import_seqviz_files": "tb_suite.tokens.seqviz",
    "SeqvizFormatError": "tb_suite.tokens.seqviz",
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_getattr(__name__, _EXPORTS)
__dir__ = lazy_dir(_EXPORTS)
del lazy_dir, lazy_getattr
