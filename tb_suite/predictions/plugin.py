"""The Predictions tab: confusion matrix, ROC/PR curves, per-class table and examples per cell."""

from __future__ import annotations

import numpy as np

from tb_suite.core.plugin import FamilyPlugin, NotFound, Query, wire_response

_EXAMPLE_ARRAYS = ("example_true", "example_pred", "example_index", "example_score", "thumbnails")


class PredictionsPlugin(FamilyPlugin):
    plugin_name = "tbs_predictions"
    tab_name = "Predictions"
    frontend = "predictions"
    heavy_arrays = frozenset({"thumbnails"})

    def family_routes(self):
        return {"/examples": self._examples}

    def _examples(self, request, query: Query):
        """The stored examples of one confusion cell (true class `true`, predicted class `pred`)."""
        run, tag, step = query.string("run"), query.string("tag"), query.integer("step")
        true_class, pred_class = query.integer("true"), query.integer("pred")
        meta, arrays = self.read_record(request, run, tag, step, set(_EXAMPLE_ARRAYS))
        num_classes = int(meta.get("num_classes", 0))
        if true_class >= num_classes or pred_class >= num_classes:
            raise NotFound(f"class index out of range: this record has {num_classes} classes")
        if "example_true" not in arrays:
            return wire_response(request, {"true": true_class, "pred": pred_class}, {})
        selected = np.flatnonzero((arrays["example_true"] == true_class) & (arrays["example_pred"] == pred_class))
        cell = {name: array[selected] for name, array in arrays.items()}
        return wire_response(request, {"true": true_class, "pred": pred_class}, cell)
