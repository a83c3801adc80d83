"""The Landscape tab: 1D lines, axis-parallel small multiples and 2D planes of the loss, step by step."""

from __future__ import annotations

from tb_suite.core import schema
from tb_suite.core.plugin import FamilyPlugin, Query, json_response
from tb_suite.landscape import metadata

_STEP_FIELDS = ("type", "min", "max", "center_loss")
_NAMES = schema.list_of(schema.text())
_META = {
    "type": schema.text(("linear", "axis", "plane")),
    "min": schema.number(finite=True),  # log_slice refuses NaN and Inf losses
    "max": schema.number(finite=True),
    "center_loss": schema.optional(schema.number(finite=True)),
}
_TYPE_META = {
    "linear": {"start": schema.number(), "end": schema.number()},
    "axis": {"names": _NAMES, "layers": _NAMES, "kinds": _NAMES},
    "plane": {
        "normalization": schema.text(),
        "ignore": schema.text(),
        "seed": schema.nullable(schema.integer(minimum=None)),
    },
}


class LandscapePlugin(FamilyPlugin):
    plugin_name = metadata.PLUGIN_NAME
    content_version = metadata.CONTENT_VERSION
    tab_name = "Landscape"
    frontend = "landscape"

    def family_routes(self):
        return {"/steps": self._steps}

    def check_meta(self, meta: dict) -> None:
        schema.check(meta, _META)
        schema.check(meta, _TYPE_META[meta["type"]])

    def _steps(self, request, query: Query):
        """Per step of one run and tag: the slice type and its loss range, for navigating over training;
        a damaged step's row is `{"step", "error"}`."""
        run, tag = query.string("run"), query.string("tag")
        steps = sorted({d.step for d in self.read_series(request, run, tag)})
        # read_header reads no array bytes
        done, skipped = self.each_step(
            run, tag, steps, lambda step: self.read_header(request, run, tag, step)[0]["meta"]
        )
        rows = [{"step": step, **{k: meta[k] for k in _STEP_FIELDS if k in meta}} for step, meta in done]
        rows += skipped
        return json_response(request, sorted(rows, key=lambda row: row["step"]))
