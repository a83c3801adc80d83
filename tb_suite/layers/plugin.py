"""The Layers tab: gradient flow, layer x step heatmaps of any statistic, distributions over steps, diagnoses
and feature maps. Never imports torch."""

from __future__ import annotations

import collections
import threading

import numpy as np
from tensorboard import plugin_util

from tb_suite.core import codec, schema
from tb_suite.core.plugin import BadRequest, DamagedRecord, FamilyPlugin, NotFound, Query, json_response, wire_response
from tb_suite.layers import analysis
from tb_suite.layers import metadata as md

MAX_BINS = 512
_CACHE_ENTRIES = 50_000


def _entries(fields: dict) -> schema.Check:
    """A list of JSON objects, each with `fields` (name -> check)."""

    def field(value, meta):
        if not isinstance(value, list):
            raise ValueError("expected a list")
        for i, entry in enumerate(value):
            if not isinstance(entry, dict):
                raise ValueError(f"item {i}: expected an object")
            try:
                schema.check(entry, fields)
            except ValueError as exc:
                raise ValueError(f"item {i}: {exc}") from None

    return field


def _names(length_of: str | None = None) -> schema.Check:
    """A list of strings (as long as the list `length_of`), checked in one pass: headers of 1,000-layer
    records are read by the hundred."""

    def field(value, meta):
        if not isinstance(value, list) or not set(map(type, value)) <= {str}:
            raise ValueError("expected a list of strings")
        if length_of is not None and len(value) != len(meta.get(length_of) or ()):
            raise ValueError(f"expected as many entries as {length_of!r}")

    return field


_META = {
    "layers": _names(),
    "types": _names("layers"),
    "bins": schema.integer(minimum=2),
    "stats": _names(),
    "feature_maps": schema.optional(
        _entries(
            {
                "layer": schema.text(),
                "array": schema.text(tuple(sorted(md.HEAVY_ARRAYS))),
                "shape": schema.list_of(schema.integer()),
            }
        )
    ),
}
_FIRST_NONFINITE = {
    "step": schema.integer(),
    "layer": schema.integer(),
    "name": schema.text(),
    "pass": schema.text(("forward", "backward")),
}


class _Columns:
    """Bounded LRU of one stats row of one record: (experiment, run, tag, step, row) -> (layers, values)."""

    def __init__(self, capacity: int):
        self._items: collections.OrderedDict[tuple, tuple] = collections.OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)


class LayersPlugin(FamilyPlugin):
    plugin_name = md.PLUGIN_NAME
    content_version = md.CONTENT_VERSION
    tab_name = "Layers"
    frontend = "layers"
    heavy_arrays = md.HEAVY_ARRAYS

    def __init__(self, context):
        super().__init__(context)
        self._columns = _Columns(_CACHE_ENTRIES)

    def family_routes(self):
        return {
            "/series": self._series_route,
            "/distribution": self._distribution_route,
            "/diagnoses": self._diagnoses_route,
            "/feature_map": self._feature_map_route,
        }

    def check_meta(self, meta: dict) -> None:
        schema.check(meta, _META)
        first = meta.get("first_nonfinite")
        if first is not None:
            if not isinstance(first, dict):
                raise schema.CodecError("record meta field 'first_nonfinite': expected an object or null")
            schema.check(first, _FIRST_NONFINITE)

    # --- reading --------------------------------------------------------------------------------
    # A tab over a 1,000-layer run reads hundreds of record headers per route; each is parsed once and kept
    # compact (layer names shared by every step), keyed by the record's wall time so a rewritten step is reread.
    def _listing(self, request, run: str, tag: str) -> dict[int, float]:
        """step -> wall time of every record of (run, tag), in step order."""
        listing = {d.step: d.wall_time for d in sorted(self.read_series(request, run, tag), key=lambda d: d.step)}
        if not listing:
            raise NotFound(f"no steps for run {run!r} and tag {tag!r}")
        return listing

    def _header(self, request, run: str, tag: str, step: int, stamp: float):
        """(the checked header, with a compact meta, and the function reading its byte ranges) of one record."""
        key = ("header", plugin_util.experiment_id(request.environ), run, tag, step, stamp)
        cached = self._columns.get(key)
        if cached is None:
            header, read = self.read_header(request, run, tag, step)
            meta = header["meta"]
            compact = {
                "layers": self._shared(("layers", run, tag), tuple(meta["layers"])),
                "stats": self._shared(("stats", run, tag), tuple(meta["stats"])),
                "first_nonfinite": meta.get("first_nonfinite"),
                "feature_maps": meta.get("feature_maps", []),
            }
            cached = ({**header, "meta": compact}, read)
            self._columns.put(key, cached)
        return cached

    def _shared(self, key: tuple, value: tuple) -> tuple:
        """`value`, or the equal tuple an earlier step stored under `key` (one object for every step)."""
        previous = self._columns.get(key)
        if previous == value:
            return previous
        self._columns.put(key, value)
        return value

    def _slice(self, request, run: str, tag: str, step: int, stamp: float, name: str, index: tuple[int, ...] = ()):
        """`array[index]` of array `name` of one record, reading only those bytes (as `read_slice`, from the
        cached header)."""
        header, read = self._header(request, run, tag, step, stamp)
        try:
            entry = codec.array_entry(header, name)
        except KeyError:
            raise NotFound(f"step {step} has no array {name!r}") from None
        if entry["comp"] != "none":
            return self.read_slice(request, run, tag, step, name, index)[1]
        try:
            spans = codec.slice_spans(header, header["data_offset"], name, index)
        except IndexError as exc:
            raise NotFound(f"step {step}: {exc}") from None
        try:
            return codec.decode_slice(header, name, index, read(spans))
        except codec.CodecError as exc:
            raise DamagedRecord(run, tag, step, str(exc)) from None

    def _row(self, request, run: str, tag: str, step: int, stamp: float, name: str) -> tuple[tuple, np.ndarray]:
        """(layer names, values `[L]`) of stats row `name` of one record, reading only that row."""
        key = ("row", plugin_util.experiment_id(request.environ), run, tag, step, stamp, name)
        cached = self._columns.get(key)
        if cached is None:
            meta = self._header(request, run, tag, step, stamp)[0]["meta"]
            if name not in meta["stats"]:
                raise NotFound(f"step {step} has no statistic {name!r}")
            values = self._slice(request, run, tag, step, stamp, md.STATS_ARRAY, (meta["stats"].index(name),))
            if np.shape(values) != (len(meta["layers"]),):
                raise DamagedRecord(run, tag, step, f"array {md.STATS_ARRAY!r} is not [stats, layers]")
            cached = (meta["layers"], np.asarray(values, np.float32))
            self._columns.put(key, cached)
        return cached

    @staticmethod
    def _stat(query: Query, name: str = "stat", default: str | None = None) -> str:
        stat = query.string(name, default)
        if stat not in md.STATS:
            raise BadRequest(f"parameter {name!r} must be one of {list(md.STATS)}, got {stat!r}")
        return stat

    # --- routes ---------------------------------------------------------------------------------
    def _series_route(self, request, query: Query):
        """One statistic of every layer at every step: `values` `[L, S]` (NaN where a step lacks the layer)."""
        run, tag, stat = query.string("run"), query.string("tag"), self._stat(query)
        listing = self._listing(request, run, tag)
        done, skipped = self.each_step(
            run, tag, listing, lambda step: self._row(request, run, tag, step, listing[step], stat)
        )
        steps = [step for step, _ in done]
        rows = [row for _, row in done]
        first = rows[0][0]
        if all(names is first or names == first for names, _ in rows):
            layers = {name: i for i, name in enumerate(first)}
            values = np.stack([row for _, row in rows], axis=1)
        else:  # the layers changed between steps: their union, in order of appearance
            layers = {}
            for names, _ in rows:
                for name in names:
                    layers.setdefault(name, len(layers))
            values = np.full((len(layers), len(steps)), np.nan, np.float32)
            for s, (names, row) in enumerate(rows):
                values[[layers[n] for n in names], s] = row
        meta = {"run": run, "tag": tag, "stat": stat, "layers": list(layers), "skipped": skipped}
        return wire_response(request, meta, {"steps": np.asarray(steps, np.float64), "values": values})

    def _distribution_route(self, request, query: Query):
        """One layer's histograms of `kind` over every step, on common `edges`: `density` `[bins, S]`
        (fraction of values per bin, NaN for a step without that histogram), and as stored: `hist` `[S, B]`
        with `lo`, `hi` `[S]`."""
        run, tag = query.string("run"), query.string("tag")
        layer = query.string("layer")
        kind = query.string("kind", "activations")
        if kind not in md.KINDS:
            raise BadRequest(f"parameter 'kind' must be one of {list(md.KINDS)}, got {kind!r}")
        bins = query.integer("bins", 64, minimum=1)
        if bins > MAX_BINS:
            raise BadRequest(f"parameter 'bins' must be <= {MAX_BINS}")
        lo_name, hi_name = md.HISTOGRAM_RANGES[kind]

        listing = self._listing(request, run, tag)

        def read(step: int):
            names, lo = self._row(request, run, tag, step, listing[step], lo_name)
            _, hi = self._row(request, run, tag, step, listing[step], hi_name)
            if layer not in names:
                return None, np.nan, np.nan
            index = names.index(layer)
            hist = np.asarray(
                self._slice(request, run, tag, step, listing[step], md.HISTOGRAMS[kind], (index,)), np.float64
            )
            if hist.ndim != 1:
                raise DamagedRecord(run, tag, step, f"array {md.HISTOGRAMS[kind]!r} is not [layers, bins]")
            return hist, float(lo[index]), float(hi[index])

        done, skipped = self.each_step(run, tag, listing, read)
        steps = [step for step, _ in done]
        hists = [hist for _, (hist, _, _) in done]
        los = [lo for _, (_, lo, _) in done]
        his = [hi for _, (_, _, hi) in done]
        if all(h is None for h in hists):
            raise NotFound(f"no layer {layer!r} in run {run!r}, tag {tag!r}")
        width = max(len(h) for h in hists if h is not None)
        finite_lo = [lo for lo in los if np.isfinite(lo)]
        finite_hi = [hi for hi in his if np.isfinite(hi)]
        if finite_lo and finite_hi:
            edges = analysis.histogram_edges(min(finite_lo), max(finite_hi), bins)
        else:
            edges = np.linspace(0.0, 1.0, bins + 1)
        density = np.full((bins, len(steps)), np.nan, np.float32)
        stored = np.full((len(steps), width), np.nan, np.float32)
        for s, h in enumerate(hists):
            if h is None:
                continue
            stored[s, : len(h)] = h
            density[:, s] = analysis.rebin(h, los[s], his[s], edges)
        meta = {"run": run, "tag": tag, "layer": layer, "kind": kind, "skipped": skipped}
        arrays = {
            "steps": np.asarray(steps, np.float64),
            "edges": edges.astype(np.float64),
            "density": density,
            "hist": stored,
            "lo": np.asarray(los, np.float64),
            "hi": np.asarray(his, np.float64),
        }
        return wire_response(request, meta, arrays)

    def _diagnoses_route(self, request, query: Query):
        """Every flag of every logged step, merged per (kind, layer), and the first NaN/Inf: JSON."""
        run, tag = query.string("run"), query.string("tag")

        listing = self._listing(request, run, tag)

        def read(step: int):
            meta = self._header(request, run, tag, step, listing[step])[0]["meta"]
            rows = self._slice(request, run, tag, step, listing[step], md.DIAGNOSES_ARRAY)
            try:
                return meta, analysis.decode(rows, meta["layers"], step)
            except ValueError as exc:
                raise DamagedRecord(run, tag, step, str(exc)) from None

        done, skipped = self.each_step(run, tag, listing, read)
        first = None
        for _, (meta, _) in done:
            candidate = meta.get("first_nonfinite")
            if candidate is not None and (first is None or candidate["step"] < first["step"]):
                first = candidate
        summary = analysis.summarize([(step, flags) for step, (_, flags) in done])
        return json_response(
            request,
            {
                "run": run,
                "tag": tag,
                "steps": len(done),
                "diagnoses": summary,
                "first_nonfinite": first,
                "skipped": skipped,
            },
        )

    def _feature_map_route(self, request, query: Query):
        """The feature maps `[C, H, W]` one module stored at one step."""
        run, tag, step = query.string("run"), query.string("tag"), query.integer("step")
        layer = query.string("layer")
        listing = self._listing(request, run, tag)
        if step not in listing:
            raise NotFound(f"no step {step} for run {run!r} and tag {tag!r}")
        meta = self._header(request, run, tag, step, listing[step])[0]["meta"]
        entry = next((f for f in meta["feature_maps"] if f["layer"] == layer), None)
        if entry is None:
            raise NotFound(f"no feature maps of module {layer!r} at step {step}")
        maps = self._slice(request, run, tag, step, listing[step], entry["array"])
        if np.ndim(maps) != 3:
            raise DamagedRecord(run, tag, step, f"array {entry['array']!r} is not [channels, height, width]")
        return wire_response(request, {"layer": layer, "step": step}, {"maps": np.asarray(maps, np.float32)})
