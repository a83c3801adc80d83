"""The Runs tab: a table of every run (config columns, per-metric summaries; filter, group, sort), curves,
a per-run dashboard and a comparison at common steps.

It reads scalars and hparams that any writer left (torch, Lightning, Hugging Face, Keras, tf.summary), so it
does not fit `FamilyPlugin`'s model of one tb-suite record per (run, tag, step): it reuses its routing (JSON
errors, `Query`, index.js) and replaces `/tags` with a listing of scalar series for live refresh.
"""

from __future__ import annotations

import csv
import io
import json
import re

import numpy as np
from tensorboard import plugin_util
from tensorboard.backend import http_util

from tb_suite.core.plugin import BadRequest, FamilyPlugin, NotFound, Query, json_response, wire_response
from tb_suite.runs import metadata as md
from tb_suite.runs.compute import DEFAULT_LAST_N, FilterError, common_steps, epoch_stats, filter_rows, group_rows
from tb_suite.runs.table import SeriesCache, build_rows, folded_children, read_series

_MAX_CURVE_RUNS = 500


class RunsPlugin(FamilyPlugin):
    plugin_name = md.PLUGIN_NAME
    content_version = md.CONTENT_VERSION
    tab_name = "Runs"
    frontend = "runs"

    def __init__(self, context):
        super().__init__(context)
        self._summaries = SeriesCache()

    def data_plugin_names(self):
        return (md.SCALARS_PLUGIN, md.HPARAMS_PLUGIN, md.PLUGIN_NAME)

    def family_routes(self):
        return {
            "/tags": self._scalar_tags,
            "/runs": self._runs,
            "/scalars": self._scalars,
            "/compare": self._compare,
            "/epochs": self._epochs,
        }

    def _context(self, request):
        return plugin_util.context(request.environ), plugin_util.experiment_id(request.environ)

    def _scalar_tags(self, request, query: Query):
        """{run: {tag: {"steps": [max step], "meta": {"wall_time": max wall time}}}}: changes whenever a series
        gets new data (what the tab's live refresh watches)."""
        ctx, eid = self._context(request)
        listing = self._provider.list_scalars(ctx, experiment_id=eid, plugin_name=md.SCALARS_PLUGIN)
        return json_response(
            request,
            {
                run: {tag: {"steps": [s.max_step], "meta": {"wall_time": s.max_wall_time}} for tag, s in tags.items()}
                for run, tags in listing.items()
            },
        )

    def _runs(self, request, query: Query):
        ctx, eid = self._context(request)
        last_n = query.integer("last", DEFAULT_LAST_N, minimum=1)
        directions = _directions(query.string("direction", ""))
        read = query.string("summaries", "1") != "0"
        rows, errors = build_rows(
            self._provider, ctx, eid, self._logdir, self._summaries, last_n=last_n, directions=directions, read=read
        )
        total = len(rows)
        pattern = query.string("regex", "")
        if pattern:
            try:
                regex = re.compile(pattern)
            except re.error as exc:
                raise BadRequest(f"regex: {exc}") from None
            rows = [row for row in rows if regex.search(row["run"])]
        try:
            rows = filter_rows(rows, query.string("filter", ""))
        except FilterError as exc:
            raise BadRequest(f"filter: {exc}") from None
        keys = [k for k in query.string("group", "").split(",") if k]
        out = {
            "runs": rows,
            "total": total,
            "tags": sorted({tag for row in rows for tag in row["metrics"]}),
            "config_keys": sorted({key for row in rows for key in row["config"]}),
            "last": last_n,
            "errors": errors,
            "pending": sum(1 for row in rows for summary in row["metrics"].values() if summary.get("pending")),
        }
        if keys:
            out["groups"] = group_rows(rows, keys)
        return json_response(request, out)

    def _read_pairs(self, request, pairs: list[tuple[str, str]]) -> dict:
        """Series of (run, tag) pairs; a pair the run lacks is read from its folded add_hparams child (the
        table shows the child's metrics in the parent's row)."""
        ctx, eid = self._context(request)
        series = read_series(self._provider, ctx, eid, pairs)
        missing = {pair for pair in pairs if pair not in series}
        if missing:
            children = folded_children(self._provider, ctx, eid)
            wanted = [(child, tag) for child, parent in children.items() for run, tag in missing if run == parent]
            for (child, tag), data in read_series(self._provider, ctx, eid, wanted).items():
                series.setdefault((children[child], tag), data)
        return series

    def _read_tag(self, request, query: Query) -> tuple[str, list[str], dict]:
        tag, runs = query.string("tag"), _run_list(query.string("runs"))
        return tag, runs, self._read_pairs(request, [(run, tag) for run in runs])

    def _scalars(self, request, query: Query):
        """Every point of `tag` for each of `runs` (a JSON list), and each run's epoch boundaries (the
        steps where its `epoch` scalar changes)."""
        tag, runs, series = self._read_tag(request, query)
        ctx, eid = self._context(request)
        epochs = {}
        for epoch_tag in md.EPOCH_TAGS:
            if epoch_tag != tag:
                for (run, _), data in read_series(self._provider, ctx, eid, [(r, epoch_tag) for r in runs]).items():
                    epochs.setdefault(run, data)
        arrays, present = {}, []
        for run in runs:
            if (run, tag) not in series:
                continue
            steps, values, wall = series[(run, tag)]
            i = len(present)
            present.append(run)
            arrays[f"step.{i}"], arrays[f"value.{i}"], arrays[f"wall.{i}"] = steps.astype(np.float64), values, wall
            if run in epochs:
                epoch_steps, epoch_values, _ = epochs[run]
                change = np.flatnonzero(np.diff(epoch_values) != 0) + 1
                arrays[f"epoch.{i}"] = epoch_steps[change].astype(np.float64)
        return wire_response(
            request, {"tag": tag, "runs": present, "missing": [r for r in runs if r not in present]}, arrays
        )

    def _epochs(self, request, query: Query):
        """Box-plot statistics of `tag` per epoch of `run` (its `epoch` scalar marks the epochs)."""
        run, tag = query.string("run"), query.string("tag")
        series = self._read_pairs(request, [(run, tag), *((run, t) for t in md.EPOCH_TAGS)])
        if (run, tag) not in series:
            raise NotFound(f"no scalar {tag!r} in run {run!r}")
        epoch = next((series[(run, t)] for t in md.EPOCH_TAGS if (run, t) in series), None)
        if epoch is None:
            return json_response(
                request, {"run": run, "tag": tag, "epochs": [], "error": "the run logs no epoch scalar"}
            )
        steps, values, _ = series[(run, tag)]
        return json_response(
            request, {"run": run, "tag": tag, "epochs": epoch_stats(steps, values, epoch[0], epoch[1])}
        )

    def _compare(self, request, query: Query):
        """`tag` across `runs` at the steps all of them logged; `format=csv` for a download."""
        tag, runs, series = self._read_tag(request, query)
        present = [run for run in runs if (run, tag) in series]
        if not present:
            raise NotFound(f"none of the runs has tag {tag!r}")
        steps, values = common_steps({run: series[(run, tag)][:2] for run in present})
        if query.string("format", "json") == "csv":
            buffer = io.StringIO()
            out = csv.writer(buffer)
            out.writerow(["step", *present])
            for i, step in enumerate(steps.tolist()):
                out.writerow([step, *(repr(float(values[run][i])) for run in present)])
            response = http_util.Respond(request, buffer.getvalue(), "text/csv")
            response.headers["Content-Disposition"] = "attachment; filename=compare.csv"
            return response
        return json_response(
            request,
            {
                "tag": tag,
                "runs": present,
                "steps": steps.tolist(),
                "values": {run: [None if np.isnan(v) else float(v) for v in values[run]] for run in present},
            },
        )


def _run_list(raw: str) -> list[str]:
    try:
        runs = json.loads(raw)
    except ValueError:
        raise BadRequest("parameter 'runs' must be a JSON list of run names") from None
    if not isinstance(runs, list) or not all(isinstance(r, str) for r in runs):
        raise BadRequest("parameter 'runs' must be a JSON list of run names")
    if len(runs) > _MAX_CURVE_RUNS:
        raise BadRequest(f"at most {_MAX_CURVE_RUNS} runs per request, got {len(runs)}")
    return runs


def _directions(raw: str) -> dict[str, str]:
    """`tag:min,tag2:max` -> {tag: direction}; the last ':' splits (tags may hold ':')."""
    out = {}
    for part in filter(None, raw.split(",")):
        tag, _, direction = part.rpartition(":")
        if not tag or direction not in ("min", "max"):
            raise BadRequest(f"parameter 'direction' must be tag:min or tag:max items, got {part!r}")
        out[tag] = direction
    return out
