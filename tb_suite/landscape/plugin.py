"""The Landscape tab: 1D lines, axis-parallel small multiples and 2D planes of the loss, step by step."""

from __future__ import annotations

from tb_suite.core.plugin import FamilyPlugin, Query, json_response
from tb_suite.landscape import metadata

_STEP_FIELDS = ("type", "min", "max", "center_loss")


class LandscapePlugin(FamilyPlugin):
    plugin_name = metadata.PLUGIN_NAME
    tab_name = "Landscape"
    frontend = "landscape"

    def family_routes(self):
        return {"/steps": self._steps}

    def _steps(self, request, query: Query):
        """Per step of one run and tag: the slice type and its loss range, for navigating over training."""
        run, tag = query.string("run"), query.string("tag")
        steps = sorted({d.step for d in self.read_series(request, run, tag)})
        rows = []
        for step in steps:
            meta = self.read_header(request, run, tag, step)[0]["meta"]  # reads no array bytes
            rows.append({"step": step, **{k: meta[k] for k in _STEP_FIELDS if k in meta}})
        return json_response(request, rows)
