"""The runs family: a table of every run in the logdir (config columns, metric summaries), curves,
dashboards and comparisons; `log_config` / `log_scalars`; imports of other tools' training logs."""

from tb_suite.core.lazy import lazy_dir, lazy_getattr

_EXPORTS = {
    "log_config": "tb_suite.runs.summary",
    "log_scalars": "tb_suite.runs.summary",
    "import_paths": "tb_suite.runs.importers",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_getattr(__name__, _EXPORTS)
__dir__ = lazy_dir(_EXPORTS)
del lazy_dir, lazy_getattr
