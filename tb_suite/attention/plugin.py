"""The Attention tab: head maps (any zoom region, downsampled to a size the browser draws at once),
layer averages, rollout, a grid of every head and head statistics over training. Never imports torch."""

from __future__ import annotations

import numpy as np

from tb_suite.attention import metadata, tiles
from tb_suite.core import schema
from tb_suite.core.plugin import BadRequest, DamagedRecord, FamilyPlugin, NotFound, Query, json_response, wire_response

VIEWS = ("head", "layer", "rollout")
MAX_MAP_SIZE = 2048
MAX_THUMB_SIZE = 128

_TOKEN_LISTS = schema.list_of(schema.list_of(schema.text()), length="examples")
_ATTENTION_META = {
    "layers": schema.integer(minimum=1),
    "heads": schema.integer(minimum=1),
    "examples": schema.integer(minimum=1),
    "cross": schema.boolean(),
    "precision": schema.text(("u8", "f16")),
    "rollout": schema.list_of(schema.boolean(), length="examples"),
    "query_tokens": _TOKEN_LISTS,
    "key_tokens": schema.nullable(_TOKEN_LISTS),
}
_HEAD_STATS_META = {"layers": schema.integer(minimum=1), "heads": schema.integer(minimum=1)}


class AttentionPlugin(FamilyPlugin):
    plugin_name = metadata.PLUGIN_NAME
    content_version = metadata.CONTENT_VERSION
    tab_name = "Attention"
    frontend = "attention"

    def family_routes(self):
        return {"/example": self._example, "/map": self._map, "/grid": self._grid, "/head_stats": self._head_stats}

    def check_meta(self, meta: dict) -> None:
        schema.check(meta, _ATTENTION_META if "query_tokens" in meta else _HEAD_STATS_META)

    def _locate(self, query: Query):
        return query.string("run"), query.string("tag"), query.integer("step"), query.integer("example", 0)

    def _meta(self, request, run, tag, step, example) -> dict:
        header, _ = self.read_header(request, run, tag, step)
        meta = header["meta"]
        if "query_tokens" not in meta:
            raise BadRequest(f"tag {tag!r} holds no attention maps")
        if example >= meta["examples"]:
            raise NotFound(f"example {example} is out of range: this step has {meta['examples']} examples")
        num_q = len(meta["query_tokens"][example])
        num_k = num_q if meta["key_tokens"] is None else len(meta["key_tokens"][example])
        expected = {
            metadata.attention_array(example): [meta["layers"], meta["heads"], num_q, num_k],
            metadata.rollout_array(example): [num_q, num_k],
        }
        for entry in header["arrays"]:
            shape, wanted = entry["shape"], expected.get(entry["name"])
            if entry["name"] == metadata.thumbnail_array(example):  # [L, H, tq, tk], any tile sizes
                wanted = [meta["layers"], meta["heads"], *shape[2:]] if len(shape) == 4 else "4 axes"
            if wanted is not None and shape != wanted:
                raise DamagedRecord(run, tag, step, f"array {entry['name']!r} has shape {shape}, not {wanted}")
        return meta

    def _example(self, request, query: Query):
        """Tokens and sizes of one example: JSON."""
        run, tag, step, example = self._locate(query)
        meta = self._meta(request, run, tag, step, example)
        query_tokens = meta["query_tokens"][example]
        key_tokens = query_tokens if meta["key_tokens"] is None else meta["key_tokens"][example]
        return json_response(
            request,
            {
                "layers": meta["layers"],
                "heads": meta["heads"],
                "examples": meta["examples"],
                "cross": meta["cross"],
                "precision": meta["precision"],
                "rollout": bool(meta["rollout"][example]),
                "query_tokens": query_tokens,
                "key_tokens": key_tokens,
            },
        )

    def _map(self, request, query: Query):
        """One map (`view`: a head, a layer's mean over heads, or the rollout), cropped to the region
        [q0, q1) x [k0, k1) and block-averaged down to at most `size` cells a side."""
        run, tag, step, example = self._locate(query)
        view = query.string("view", "head")
        if view not in VIEWS:
            raise BadRequest(f"parameter 'view' must be one of {VIEWS}, got {view!r}")
        size = query.integer("size", 512, minimum=1)
        if size > MAX_MAP_SIZE:
            raise BadRequest(f"parameter 'size' must be <= {MAX_MAP_SIZE}")
        meta = self._meta(request, run, tag, step, example)
        num_layers, num_heads = meta["layers"], meta["heads"]
        if view == "rollout":
            if not meta["rollout"][example]:
                raise NotFound("no rollout stored for this example (cross-attention or a very long input)")
            _, values = self.read_slice(request, run, tag, step, metadata.rollout_array(example))
        else:
            layer = query.integer("layer")
            if layer >= num_layers:
                raise NotFound(f"layer {layer} is out of range: {num_layers} layers")
            name = metadata.attention_array(example)
            if view == "head":
                head = query.integer("head")
                if head >= num_heads:
                    raise NotFound(f"head {head} is out of range: {num_heads} heads")
                _, values = self.read_slice(request, run, tag, step, name, (layer, head))
            else:
                _, values = self.read_slice(request, run, tag, step, name, (layer,))
                values = values.mean(axis=0)
        num_q, num_k = values.shape
        q0, q1 = query.integer("q0", 0), query.integer("q1", num_q)
        k0, k1 = query.integer("k0", 0), query.integer("k1", num_k)
        if not (q0 < q1 <= num_q and k0 < k1 <= num_k):
            raise BadRequest(f"region [{q0}, {q1}) x [{k0}, {k1}) is empty or outside the {num_q} x {num_k} map")
        tile, (stride_q, stride_k) = tiles.downsample(values[q0:q1, k0:k1], size)
        region = {"q0": q0, "q1": q1, "k0": k0, "k1": k1, "stride_q": stride_q, "stride_k": stride_k}
        return wire_response(request, {"view": view, "shape": [num_q, num_k], **region}, {"weights": tile})

    def _grid(self, request, query: Query):
        """Every layer's and head's map of one example, downsampled to at most `size` a side:
        `thumbs` `[layers, heads, tq, tk]`."""
        run, tag, step, example = self._locate(query)
        size = query.integer("size", 48, minimum=1)
        if size > MAX_THUMB_SIZE:
            raise BadRequest(f"parameter 'size' must be <= {MAX_THUMB_SIZE}")
        header, _ = self.read_header(request, run, tag, step)
        self._meta(request, run, tag, step, example)
        names = {entry["name"] for entry in header["arrays"]}
        thumbs_name = metadata.thumbnail_array(example)
        name = thumbs_name if thumbs_name in names else metadata.attention_array(example)
        _, values = self.read_slice(request, run, tag, step, name)
        thumbs, strides = tiles.downsample(values, size)
        return wire_response(request, {"strides": list(strides)}, {"thumbs": np.ascontiguousarray(thumbs, np.float32)})

    def _head_stats(self, request, query: Query):
        """Every step of a head-statistics tag: `steps` `[S]` and `entropy`, `importance`, `mask`
        `[S, L, H]` (NaN where a step did not log that statistic)."""
        run, tag = query.string("run"), query.string("tag")
        steps = sorted({datum.step for datum in self.read_series(request, run, tag)})
        records, skipped = self.each_step(run, tag, steps, lambda step: self.read_record(request, run, tag, step))
        if not records or any("query_tokens" in meta for _, (meta, _) in records):
            raise BadRequest(f"tag {tag!r} holds no head statistics")
        shape = (records[-1][1][0]["layers"], records[-1][1][0]["heads"])
        stats = {name: np.full((len(records), *shape), np.nan, np.float32) for name in metadata.HEAD_STATS}
        present = set()
        for i, (_, (_, arrays)) in enumerate(records):
            for name, array in arrays.items():
                if name in stats and array.shape == shape:
                    stats[name][i] = array
                    present.add(name)
        arrays = {"steps": np.array([step for step, _ in records], np.float64)}
        arrays.update({name: stats[name] for name in metadata.HEAD_STATS if name in present})
        meta = {"layers": shape[0], "heads": shape[1], "stats": sorted(present), "skipped": skipped}
        return wire_response(request, meta, arrays)
