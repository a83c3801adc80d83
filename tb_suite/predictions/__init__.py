"""The predictions family: log classification predictions (confusion matrix, ROC/PR curves, per-class
metrics, examples per cell) and the exact metrics behind them.

`log_predictions` / `log_confusion_matrix` are also `tb_suite.log_predictions` / `tb_suite.log_confusion_matrix`.
The metrics (`prediction_metrics`, `label_metrics`, `confusion_matrix`, `class_report`) need torch, which is
imported on first use, so TensorBoard's side never imports torch.
"""

from tb_suite.core.lazy import lazy_dir, lazy_getattr

_EXPORTS = {
    "log_predictions": "tb_suite.predictions.summary",
    "log_confusion_matrix": "tb_suite.predictions.summary",
    "prediction_metrics": "tb_suite.predictions.compute",
    "label_metrics": "tb_suite.predictions.compute",
    "PredictionMetrics": "tb_suite.predictions.compute",
    "confusion_matrix": "tb_suite.predictions.compute",
    "class_report": "tb_suite.predictions.compute",
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_getattr(__name__, _EXPORTS)
__dir__ = lazy_dir(_EXPORTS)
del lazy_dir, lazy_getattr
