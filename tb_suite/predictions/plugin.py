"""The Predictions tab: confusion matrix, ROC/PR curves, per-class table and examples per cell."""

from __future__ import annotations

import numpy as np

from tb_suite.core import schema
from tb_suite.core.plugin import DamagedRecord, FamilyPlugin, NotFound, Query, wire_response
from tb_suite.predictions import metadata as md

# Every field typed when present (hand-written records may carry fewer).
_META = {
    name: schema.optional(check)
    for name, check in {
        "kind": schema.text(md.KINDS),
        "num_classes": schema.integer(minimum=1),
        "num_samples": schema.integer(),
        "class_names": schema.list_of(schema.text(), length="num_classes"),
        "accuracy": schema.nullable(schema.number()),
        "examples_per_cell": schema.integer(),
        "has_images": schema.boolean(),
        **{name: schema.nullable(schema.number()) for name in ("micro_auc", "macro_auc", "micro_ap", "macro_ap")},
    }.items()
}


class PredictionsPlugin(FamilyPlugin):
    plugin_name = md.PLUGIN_NAME
    content_version = md.CONTENT_VERSION
    tab_name = "Predictions"
    frontend = "predictions"
    heavy_arrays = frozenset({md.THUMBNAILS})

    def family_routes(self):
        return {"/examples": self._examples}

    def check_meta(self, meta: dict) -> None:
        schema.check(meta, _META)

    def _examples(self, request, query: Query):
        """The stored examples of one confusion cell (true class `true`, predicted class `pred`)."""
        run, tag, step = query.string("run"), query.string("tag"), query.integer("step")
        true_class, pred_class = query.integer("true"), query.integer("pred")
        meta, arrays = self.read_record(request, run, tag, step, {*md.EXAMPLE_ARRAYS, md.THUMBNAILS})
        num_classes = meta.get("num_classes", 0)
        if true_class >= num_classes or pred_class >= num_classes:
            raise NotFound(f"class index out of range: this record has {num_classes} classes")
        if not arrays.keys() & set(md.EXAMPLE_ARRAYS):
            return wire_response(request, {"true": true_class, "pred": pred_class}, {})
        if not arrays.keys() >= set(md.EXAMPLE_ARRAYS) or len({np.shape(a)[:1] for a in arrays.values()}) != 1:
            raise DamagedRecord(run, tag, step, f"the example arrays {sorted(arrays)} differ in length or lack one")
        selected = np.flatnonzero((arrays[md.EXAMPLE_TRUE] == true_class) & (arrays[md.EXAMPLE_PRED] == pred_class))
        cell = {name: array[selected] for name, array in arrays.items()}
        return wire_response(request, {"true": true_class, "pred": pred_class}, cell)
