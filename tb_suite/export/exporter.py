"""`export()`: a family plugin's WSGI app over TensorBoard's data provider for a logdir, asked the routes its
tab calls for a selection; the answers written as one HTML page or as JSON."""

from __future__ import annotations

import importlib
import importlib.resources
import json
from pathlib import Path

import numpy as np
import werkzeug.test
from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
from tensorboard.plugins import base_plugin

from tb_suite.core import wire
from tb_suite.export import embed
from tb_suite.export.plans import PLANS
from tb_suite.export.selection import Selection

DEFAULT_MAX_BYTES = 64 << 20
_READ_AHEAD = 8  # uncompressed answers read before giving up on a limit
# family -> (module, class) of its plugin
FAMILIES = {
    "attention": ("tb_suite.attention.plugin", "AttentionPlugin"),
    "landscape": ("tb_suite.landscape.plugin", "LandscapePlugin"),
    "layers": ("tb_suite.layers.plugin", "LayersPlugin"),
    "predictions": ("tb_suite.predictions.plugin", "PredictionsPlugin"),
    "runs": ("tb_suite.runs.plugin", "RunsPlugin"),
    "tokens": ("tb_suite.tokens.plugin", "TokensPlugin"),
}


class ExportTooLarge(ValueError):
    """The selection would make a file larger than the limit; nothing was written."""


def family_of(name: str) -> str:
    family = name.removeprefix("tbs_")
    if family not in FAMILIES:
        raise ValueError(f"plugin: unknown {name!r}; one of {', '.join(sorted(FAMILIES))}")
    return family


class Routes:
    """A family plugin's routes, called in process: over a logdir (the CLI) or inside a running plugin
    (its `/export` route, with the request's TensorBoard context)."""

    def __init__(self, plugin, environ: dict | None = None):
        self.plugin = plugin
        self._environ = environ or {}
        self._apps = {
            path.lstrip("/"): werkzeug.test.Client(app)
            for path, app in plugin.get_plugin_apps().items()
            if path != "/export"
        }

    @classmethod
    def over_logdir(cls, logdir: str, family: str) -> Routes:
        module, class_name = FAMILIES[family]
        plugin_class = getattr(importlib.import_module(module), class_name)
        multiplexer = plugin_event_multiplexer.EventMultiplexer(
            size_guidance={"tensors": 0, "scalars": 0}, tensor_size_guidance={plugin_class.plugin_name: 0}
        )
        multiplexer.AddRunsFromDirectory(logdir)
        multiplexer.Reload()
        context = base_plugin.TBContext(
            data_provider=data_provider.MultiplexerDataProvider(multiplexer, logdir), logdir=logdir
        )
        return cls(plugin_class(context))

    def get(self, route: str, params: dict) -> tuple[int, str, bytes]:
        response = self._apps[route].get(
            "/", query_string={k: str(v) for k, v in params.items()}, environ_overrides=self._environ
        )
        return response.status_code, response.content_type or "", response.get_data()


def _tags(routes: Routes, selection: Selection) -> dict:
    status, _, body = routes.get("tags", {})
    if status != 200:
        raise ValueError(f"tags: HTTP {status}: {body[:200]!r}")
    tags = selection.filter_tags(json.loads(body))
    if not tags:
        raise ValueError("the selection holds no steps (check --runs, --tags, --steps and the logdir)")
    return tags


def _json_array(array: np.ndarray) -> dict:
    values = array.astype(np.float64) if array.dtype.kind == "f" else array
    data = np.where(np.isfinite(values), values, None).tolist() if array.dtype.kind == "f" else values.tolist()
    return {"dtype": array.dtype.name, "shape": list(array.shape), "data": data}


def _check_size(size: int, max_bytes: int | None) -> None:
    if max_bytes is not None and size > max_bytes:
        raise ExportTooLarge(
            f"the export would take {size / 2**20:.1f} MiB, over the limit of {max_bytes / 2**20:.1f} MiB: "
            "select fewer runs, tags or steps, or raise the limit (--max-mib)"
        )


def export(
    logdir: str | Path,
    plugin: str,
    output: str | Path,
    *,
    selection: Selection | None = None,
    format: str = "html",
    max_bytes: int | None = DEFAULT_MAX_BYTES,
) -> dict:
    """Writes the selection of `plugin`'s data in `logdir` to `output`; returns sizes in bytes
    (`file`, `bundle`, `embedded_binary`, `embedded_json`).

    Example:
        >>> sizes = export("runs", "landscape", "report.html", selection=Selection(steps="0:100"))
    """
    if format not in ("html", "json"):
        raise ValueError(f"format: {format!r} is not 'html' or 'json'")
    selection = selection or Selection()
    family = family_of(plugin)
    if format == "html" and family not in PLANS:
        raise ValueError(
            f"plugin: the {family} tab has no HTML export yet (HTML: {', '.join(sorted(PLANS))}); use --format json"
        )
    routes = Routes.over_logdir(str(logdir), family)
    output = Path(output)
    if format == "json":
        return _write_json(routes, _tags(routes, selection), selection, output, max_bytes)
    text, sizes = html_page(routes, family, selection, max_bytes, f"tb-suite {routes.plugin.tab_name}: {output.stem}")
    output.write_text(text, encoding="utf-8")
    return sizes


def _write_json(routes: Routes, tags: dict, selection: Selection, output: Path, max_bytes: int | None) -> dict:
    records = []
    for run, by_tag in tags.items():
        for tag, info in by_tag.items():
            for step in info["steps"]:
                params = {"run": run, "tag": tag, "step": step}
                status, _, body = routes.get("record", params)
                heavy = routes.plugin.heavy_arrays
                if status == 200 and heavy:  # the tab asks for these on their own; a script wants them all
                    names = [*wire.decode_wire(body)[1], *sorted(heavy)]
                    status, _, body = routes.get("record", {**params, "arrays": ",".join(names)})
                if status != 200:
                    records.append({"run": run, "tag": tag, "step": step, "error": json.loads(body).get("error")})
                    continue
                meta, arrays = wire.decode_wire(body)
                records.append(
                    {
                        "run": run,
                        "tag": tag,
                        "step": step,
                        "meta": meta,
                        "arrays": {name: _json_array(a) for name, a in arrays.items()},
                    }
                )
    document = {"plugin": routes.plugin.plugin_name, "selection": vars(selection), "tags": tags, "records": records}
    text = json.dumps(document, ensure_ascii=False, allow_nan=False)
    size = len(text.encode())
    _check_size(size, max_bytes)
    output.write_text(text, encoding="utf-8")
    return {"file": size, "bundle": 0, "embedded_binary": 0, "embedded_json": size}


def html_page(routes: Routes, family: str, selection: Selection, max_bytes: int | None, title: str) -> tuple[str, dict]:
    """The export page of `selection` and its sizes in bytes; `ExportTooLarge` past `max_bytes`."""
    if family not in PLANS:
        raise ValueError(
            f"plugin: the {family} tab has no HTML export yet (HTML: {', '.join(sorted(PLANS))}); use --format json"
        )
    tags = _tags(routes, selection)
    bundle = (importlib.resources.files("tb_suite") / "_frontend" / family / "index.js").read_text(encoding="utf-8")
    answers = embed.Answers()
    for route, value in (("tags", tags), ("../../runs", sorted(tags))):
        answers.add(embed.key(route, {}), 200, "application/json", json.dumps(value).encode())
    binary = 0
    for ask in PLANS[family](tags, selection, routes.get):
        status, content_type, body = routes.get(ask.route, ask.params)
        if status == 200 and ask.cut is not None:
            body = ask.cut(body)
        answers.add(embed.key(ask.route, ask.params), status, content_type, body)
        binary += 0 if content_type.startswith("application/json") else len(body)
        # Compressed, the answers take less; far past the limit uncompressed, stop reading.
        if max_bytes is not None and answers.size > _READ_AHEAD * max_bytes:
            _check_size(answers.size, max_bytes)
    text = embed.page(title, bundle, answers)
    size = len(text.encode())
    _check_size(size, max_bytes)
    return text, {
        "file": size,
        "bundle": len(bundle.encode()),
        "embedded_binary": binary,
        "embedded_json": answers.size - binary,
    }
