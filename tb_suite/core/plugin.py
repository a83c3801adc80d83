"""The base every tb-suite TensorBoard plugin is built on: data-provider reads, sidecar reads, thin routes.

A family plugin subclasses `FamilyPlugin`, sets `plugin_name`, `content_version` (its metadata.py's),
`tab_name`, `frontend` and adds routes in `family_routes()`; `/tags` leaves out a tag whose plugin content is
newer than `content_version` (one warning) and passes older content through `migrate_content`. Handlers get
a parsed `Query` and return `json_response(...)` or `wire_response(...)` (`tb_suite.core.wire`). Raise
`BadRequest` / `NotFound` for 400 / 404. Every read of a record checks it (`codec`, and the family's
`check_meta`); a damaged one raises `DamagedRecord`, answered 422 naming the step, and routes over many
steps read each with `each_step`, which skips damaged steps and lists them. Anything else becomes a JSON
500 and is logged.
"""

from __future__ import annotations

import collections
import importlib.resources
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
from tensorboard import errors as tb_errors
from tensorboard import plugin_util
from tensorboard.backend import http_util
from tensorboard.data import provider
from tensorboard.plugins import base_plugin
from werkzeug import wrappers

from tb_suite.core import codec, paths, sidecar, wire
from tb_suite.core.metadata import CONTENT_VERSION, parse_plugin_content

logger = logging.getLogger(__name__)

# read_tensors with downsample=0 returns nothing; this reads every step.
ALL_STEPS = 1 << 30
_CACHE_BYTES = 64 << 20
# How long a tag's step -> stored value listing is reused: one read_tensors call costs ~45 ms under the
# Rust data server, and scrubbing asks for many steps of one tag. A step not in the listing rereads it.
SERIES_TTL_S = 2.0


class BadRequest(Exception):
    """The query is malformed: HTTP 400."""


class NotFound(Exception):
    """The query names a run, tag or step that does not exist: HTTP 404."""


class DamagedRecord(Exception):
    """A stored record that exists but cannot be read (damaged, truncated or malformed): HTTP 422."""

    def __init__(self, run: str, tag: str, step: int, reason: str):
        super().__init__(f"step {step} of run {run!r}, tag {tag!r} is unreadable: {reason}")
        self.step = step
        self.reason = reason


_INTEGER = re.compile(r"-?[0-9]+")
_MAX_DIGITS = 40


def parse_int(raw: str, *, negative: bool = False) -> int:
    """The integer an ASCII decimal string spells: digits only, a leading minus when `negative`, nothing
    else (no spaces, plus signs, underscores or non-ASCII digits, all of which Python's int() accepts).
    ValueError otherwise."""
    if len(raw) > _MAX_DIGITS or not _INTEGER.fullmatch(raw) or (raw[0] == "-" and not negative):
        raise ValueError(f"not an integer: {raw!r}")
    return int(raw)


def json_response(request, value, code: int = 200):
    return http_util.Respond(
        request, json.dumps(value, allow_nan=False, default=_json_default), "application/json", code=code
    )


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def wire_response(request, meta: Mapping, arrays: Mapping[str, np.ndarray]):
    return http_util.Respond(request, wire.encode_wire(meta, arrays), "application/octet-stream")


class Query:
    """Typed access to query parameters; every failure is a `BadRequest` naming the parameter."""

    def __init__(self, request):
        self._args = request.args

    def string(self, name: str, default: str | None = None) -> str:
        value = self._args.get(name)
        if value is None:
            if default is None:
                raise BadRequest(f"missing parameter {name!r}")
            return default
        return value

    def integer(self, name: str, default: int | None = None, *, minimum: int = 0) -> int:
        raw = self._args.get(name)
        if raw is None:
            if default is None:
                raise BadRequest(f"missing parameter {name!r}")
            return default
        try:
            value = parse_int(raw, negative=minimum < 0)
        except ValueError:
            if raw.startswith("-") and _INTEGER.fullmatch(raw):
                raise BadRequest(f"parameter {name!r} must be >= {minimum}, got {raw}") from None
            raise BadRequest(f"parameter {name!r} must be an integer (ASCII digits), got {raw!r}") from None
        if value < minimum:
            raise BadRequest(f"parameter {name!r} must be >= {minimum}, got {value}")
        return value

    def names(self, name: str) -> set[str] | None:
        raw = self._args.get(name)
        return None if raw is None else {part for part in raw.split(",") if part}


class _PayloadCache:
    """Least-recently-used decoded-payload bytes, bounded in total size."""

    def __init__(self, max_bytes: int):
        self._max_bytes = max_bytes
        self._items: collections.OrderedDict[tuple, bytes] = collections.OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> bytes | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: tuple, value: bytes) -> None:
        if len(value) > self._max_bytes // 4:
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = value
            self._bytes += len(value)
            while self._bytes > self._max_bytes:
                _, old = self._items.popitem(last=False)
                self._bytes -= len(old)


class FamilyPlugin(base_plugin.TBPlugin):
    plugin_name: str = ""
    tab_name: str = ""
    frontend: str = ""  # folder under tb_suite/_frontend holding this tab's index.js
    heavy_arrays: frozenset = frozenset()  # left out of /record unless the query names them
    content_version: int = CONTENT_VERSION  # the family's metadata.CONTENT_VERSION

    def __init__(self, context: base_plugin.TBContext):
        self._provider = context.data_provider
        self._logdir = context.logdir or ""
        self._cache = _PayloadCache(_CACHE_BYTES)
        self._series: dict[tuple, tuple[float, dict]] = {}
        self._unreadable_tags: set[tuple[str, str]] = set()  # warned about once each

    # --- TensorBoard interface ---------------------------------------------------------------
    def get_plugin_apps(self):
        routes = {
            "/index.js": self._serve_index,
            "/tags": self._route(self._tags),
            "/record": self._route(self._record),
        }
        routes.update({path: self._route(handler) for path, handler in self.family_routes().items()})
        from tb_suite.export.route import export_route  # the exporter calls the routes above

        routes["/export"] = export_route(self)
        return routes

    def is_active(self) -> bool:
        return False  # TensorBoard marks the tab active from data_plugin_names when data exists

    def data_plugin_names(self) -> Iterable[str]:
        return (self.plugin_name,)

    def frontend_metadata(self):
        return base_plugin.FrontendMetadata(es_module_path="/index.js", tab_name=self.tab_name, disable_reload=True)

    # --- for subclasses ----------------------------------------------------------------------
    def family_routes(self) -> dict[str, Callable]:
        """Extra routes: path -> handler(request, query) returning a response."""
        return {}

    def list_series(self, request) -> dict:
        """{run: {tag: TensorTimeSeries}} of this plugin's data (metadata only, no values)."""
        return self._provider.list_tensors(
            plugin_util.context(request.environ),
            experiment_id=plugin_util.experiment_id(request.environ),
            plugin_name=self.plugin_name,
        )

    def read_series(self, request, run: str, tag: str) -> list:
        data = self._provider.read_tensors(
            plugin_util.context(request.environ),
            experiment_id=plugin_util.experiment_id(request.environ),
            plugin_name=self.plugin_name,
            downsample=ALL_STEPS,
            run_tag_filter=provider.RunTagFilter(runs=[run], tags=[tag]),
        )
        series = data.get(run, {}).get(tag)
        if series is None:
            raise NotFound(f"no data for run {run!r} and tag {tag!r}")
        return series

    def migrate_content(self, content: dict, version: int) -> dict:
        """A tag's plugin content written at an older content `version`, as this family's version reads it:
        the hook a family overrides when it raises its `CONTENT_VERSION`."""
        return content

    def check_meta(self, meta: dict) -> None:
        """Raise `codec.CodecError` when a record's meta lacks a field, or has one of a type or value, that
        this family's routes or tab rely on (`tb_suite.core.schema`). Called on every record read."""

    def _stored_value(self, request, run: str, tag: str, step: int) -> tuple[bytes, dict | None]:
        """The stored value of one record: (inline payload, None) or (b"", sidecar reference)."""
        key = (plugin_util.experiment_id(request.environ), run, tag)
        listed_at, by_step = self._series.get(key, (0.0, {}))
        if step not in by_step or time.monotonic() - listed_at > SERIES_TTL_S:
            by_step = {d.step: d for d in self.read_series(request, run, tag)}
            self._series[key] = (time.monotonic(), by_step)
        datum = by_step.get(step)
        if datum is None:
            raise NotFound(f"no step {step} for run {run!r} and tag {tag!r}")
        value = datum.numpy.item() if datum.numpy.shape == () else None
        if isinstance(value, str):
            value = value.encode("latin-1")
        if not isinstance(value, bytes):
            raise DamagedRecord(run, tag, step, "the stored value is not a tb-suite payload")
        try:
            ref = codec.decode_reference(value)
        except codec.CodecError as exc:
            raise DamagedRecord(run, tag, step, str(exc)) from None
        if ref is None:
            return value, None
        if "/" in ref["file"] or "\\" in ref["file"] or ref["file"].startswith(".") or not ref["file"]:
            raise DamagedRecord(run, tag, step, "invalid sidecar reference")
        return b"", ref

    def read_payload(self, request, run: str, tag: str, step: int) -> bytes:
        """The payload bytes of one record, following a sidecar reference when there is one (unchecked:
        `read_record` checks them)."""
        value, ref = self._stored_value(request, run, tag, step)
        if ref is None:
            return value
        key = (run, tag, step, ref["file"], ref["offset"], ref["length"])
        payload = self._cache.get(key)
        if payload is None:
            path = self._sidecar_path(run, ref["file"])
            (payload,) = self._read_ranges(run, tag, step, path, [(ref["offset"], ref["length"])])
            self._cache.put(key, payload)
        return payload

    @staticmethod
    def _read_ranges(run: str, tag: str, step: int, path: str, ranges: list[tuple[int, int]]) -> list[bytes]:
        try:
            return sidecar.read_ranges(path, ranges)
        except sidecar.SidecarError as exc:
            raise DamagedRecord(run, tag, step, str(exc)) from None

    def _checked_meta(self, run: str, tag: str, step: int, meta: dict) -> dict:
        try:
            self.check_meta(meta)
        except codec.CodecError as exc:
            raise DamagedRecord(run, tag, step, str(exc)) from None
        return meta

    def read_record(
        self, request, run: str, tag: str, step: int, names: set[str] | None = None, exclude: Iterable[str] = ()
    ):
        """(meta, arrays) of one record, checked; `names` limits the decoded arrays, `exclude` leaves some
        out. `DamagedRecord` when it is damaged."""
        try:
            meta, arrays = codec.decode_record(self.read_payload(request, run, tag, step), names, exclude)
        except codec.CodecError as exc:
            raise DamagedRecord(run, tag, step, str(exc)) from None
        return self._checked_meta(run, tag, step, meta), arrays

    def read_header(
        self, request, run: str, tag: str, step: int
    ) -> tuple[dict, Callable[[list[tuple[int, int]]], list[bytes]]]:
        """The checked payload header of one record without reading its arrays, and a function that reads
        byte ranges (offsets from the payload's start) of that payload: with `codec.slice_spans` and
        `codec.decode_slice`, a route decodes one slice of a large array and reads nothing else."""
        value, ref = self._stored_value(request, run, tag, step)
        total = ref["length"] if ref else len(value)

        def read(spans):
            if any(start + length > total for start, length in spans):
                raise DamagedRecord(run, tag, step, "an array runs past its payload")
            if ref is None:
                return [value[start : start + length] for start, length in spans]
            path = self._sidecar_path(run, ref["file"])
            return self._read_ranges(run, tag, step, path, [(ref["offset"] + start, length) for start, length in spans])

        key = ("header", run, tag, step, ref and ref["file"], ref and ref["offset"], total)
        try:
            cached = self._cache.get(key)
            if cached is None:
                (prefix,) = read([(0, min(8, total))])
                (cached,) = read([(0, codec.header_size(prefix, total))])
                self._cache.put(key, cached)
            header, data_offset = codec.parse_header(cached, total)
        except codec.CodecError as exc:
            raise DamagedRecord(run, tag, step, str(exc)) from None
        self._checked_meta(run, tag, step, header["meta"])
        header["data_offset"] = data_offset
        return header, read

    def read_slice(self, request, run: str, tag: str, step: int, name: str, index: tuple[int, ...] = ()):
        """(meta, `array[index]`) of array `name` of one record, reading only that slice's bytes (and the
        rest of the checksum chunks they touch; the whole array when it is compressed). 404 when the record
        has no such array or position, `DamagedRecord` when the bytes read are damaged."""
        header, read = self.read_header(request, run, tag, step)
        try:
            entry = codec.array_entry(header, name)
        except KeyError:
            raise NotFound(f"step {step} has no array {name!r}") from None
        try:
            if entry["comp"] != "none":
                return header["meta"], self.read_record(request, run, tag, step, {name})[1][name][index]
            spans = codec.slice_spans(header, header["data_offset"], name, index)
        except IndexError as exc:
            raise NotFound(f"step {step}: {exc}") from None
        try:
            return header["meta"], codec.decode_slice(header, name, index, read(spans))
        except codec.CodecError as exc:
            raise DamagedRecord(run, tag, step, str(exc)) from None

    def each_step(
        self, run: str, tag: str, steps: Iterable[int], read: Callable[[int], Any]
    ) -> tuple[list, list[dict]]:
        """`[(step, read(step)), ...]` for every step `read` can read, and `[{"step", "error"}, ...]` for the
        damaged ones it skipped: what a route over many steps answers, so that one damaged step does not
        hide the others. `DamagedRecord` when every step is damaged."""
        done, skipped = [], []
        for step in steps:
            try:
                done.append((step, read(step)))
            except DamagedRecord as exc:
                skipped.append({"step": step, "error": exc.reason})
            except NotFound as exc:  # a record without the array or position its own meta promises
                skipped.append({"step": step, "error": str(exc)})
        if skipped and not done:
            first, more = skipped[0], f" (as are all {len(skipped)} steps of this tag)" if len(skipped) > 1 else ""
            raise DamagedRecord(run, tag, first["step"], first["error"] + more)
        return done, skipped

    # --- routes --------------------------------------------------------------------------------
    def _tags(self, request, query: Query):
        result: dict[str, dict] = {}
        listing = self.list_series(request)
        for run, tags in listing.items():
            data = self._provider.read_tensors(
                plugin_util.context(request.environ),
                experiment_id=plugin_util.experiment_id(request.environ),
                plugin_name=self.plugin_name,
                downsample=ALL_STEPS,
                run_tag_filter=provider.RunTagFilter(runs=[run], tags=list(tags)),
            ).get(run, {})
            for tag, series in tags.items():
                try:
                    content = parse_plugin_content(series.plugin_content, self.content_version, self.migrate_content)
                except ValueError as exc:  # newer or damaged content: no tab could read the tag
                    if (run, tag) not in self._unreadable_tags:
                        self._unreadable_tags.add((run, tag))
                        logger.warning("tb-suite %s: run %r, tag %r left out: %s", self.plugin_name, run, tag, exc)
                    continue
                steps = sorted({d.step for d in data.get(tag, [])})
                result.setdefault(run, {})[tag] = {"steps": steps, "meta": content}
        return json_response(request, result)

    def _record(self, request, query: Query):
        run, tag, step = query.string("run"), query.string("tag"), query.integer("step")
        names = query.names("arrays")
        exclude = self.heavy_arrays if names is None else ()
        meta, arrays = self.read_record(request, run, tag, step, names, exclude)
        return wire_response(request, meta, arrays)

    def _sidecar_path(self, run: str, file: str) -> str:
        return paths.join(self._logdir, run, "plugins", self.plugin_name, file)

    def _route(self, handler: Callable):
        @wrappers.Request.application
        def app(request):
            try:
                return handler(request, Query(request))
            except BadRequest as exc:
                return json_response(request, {"error": str(exc)}, 400)
            except DamagedRecord as exc:
                return json_response(request, {"error": str(exc), "step": exc.step}, 422)
            except (codec.CodecError, sidecar.SidecarError) as exc:  # damaged data read outside read_*
                return json_response(request, {"error": f"record unreadable: {exc}"}, 422)
            except (NotFound, tb_errors.NotFoundError) as exc:
                return json_response(request, {"error": str(exc)}, 404)
            except tb_errors.InvalidArgumentError as exc:
                return json_response(request, {"error": str(exc)}, 400)
            except Exception:
                logger.exception("tb-suite %s: %s failed", self.plugin_name, request.path)
                return json_response(request, {"error": "internal error; see the TensorBoard log"}, 500)

        return app

    @wrappers.Request.application
    def _serve_index(self, request):
        try:
            source = importlib.resources.files("tb_suite").joinpath("_frontend", self.frontend, "index.js").read_bytes()
        except (FileNotFoundError, OSError):
            return http_util.Respond(request, "tb-suite frontend not built: run `make build`", "text/plain", code=404)
        return http_util.Respond(request, source, "text/javascript")
