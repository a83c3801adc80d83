"""The Tokens tab: per-position next-token predictions, entropy and targets, and how they change over steps."""

from __future__ import annotations

import numpy as np

from tb_suite.core import schema
from tb_suite.core.plugin import DamagedRecord, FamilyPlugin, NotFound, Query, wire_response
from tb_suite.tokens import metadata as md

_HISTORY_ARRAYS = (md.ENTROPY, md.LOSS, md.RANK)
_LOSS = schema.nullable(schema.number(finite=True))  # the writer stores null for undefined values
_PER_SEQUENCE = schema.list_of(_LOSS, length="batch")
_META = {
    "batch": schema.integer(minimum=1),
    "length": schema.integer(minimum=1),
    "k": schema.integer(minimum=1),
    "vocab_size": schema.integer(minimum=1),
    "num_targets": schema.integer(),
    "loss": _LOSS,
    "perplexity": _LOSS,
    "seq_loss": _PER_SEQUENCE,
    "seq_perplexity": _PER_SEQUENCE,
    "special_ids": schema.list_of(schema.integer(minimum=None)),
    "vocab": schema.optional(schema.list_of(schema.text())),
}


class TokensPlugin(FamilyPlugin):
    plugin_name = md.PLUGIN_NAME
    content_version = md.CONTENT_VERSION
    tab_name = "Tokens"
    frontend = "tokens"

    def family_routes(self):
        return {"/history": self._history}

    def check_meta(self, meta: dict) -> None:
        schema.check(meta, _META)

    def _history(self, request, query: Query):
        """Loss and perplexity of every step; with `seq` and `pos`, that position's entropy, loss and rank too."""
        run, tag = query.string("run"), query.string("tag")
        seq = query.integer("seq", -1)
        pos = query.integer("pos", -1) if seq >= 0 else -1

        def value(step: int, name: str) -> float:
            found = self.read_slice(request, run, tag, step, name, (seq, pos))[1]
            if np.ndim(found) != 0:
                raise DamagedRecord(run, tag, step, f"array {name!r} is not [batch, length]")
            return float(found)

        def read(step: int):
            meta = self.read_header(request, run, tag, step)[0]["meta"]  # the arrays are not read
            values = {}
            if pos >= 0:
                inside = seq < meta["batch"] and pos < meta["length"] and value(step, md.MASK) != 0
                values = {name: value(step, name) if inside else np.nan for name in _HISTORY_ARRAYS}
            return meta, values

        all_steps = sorted({d.step for d in self.read_series(request, run, tag)})
        if not all_steps:
            raise NotFound(f"no steps for run {run!r} and tag {tag!r}")
        done, skipped = self.each_step(run, tag, all_steps, read)
        steps = [step for step, _ in done]
        metas = [meta for _, (meta, _) in done]
        width = max(meta["batch"] for meta in metas)
        out = {
            "steps": np.asarray(steps, dtype=np.float64),
            "loss": _floats([m.get("loss") for m in metas]),
            "perplexity": _floats([m.get("perplexity") for m in metas]),
            "seq_loss": _floats([m["seq_loss"] + [None] * (width - len(m["seq_loss"])) for m in metas]),
        }
        if pos >= 0:
            positions = {
                name: np.asarray([values[name] for _, (_, values) in done], np.float32) for name in _HISTORY_ARRAYS
            }
            out["entropy"] = positions[md.ENTROPY]
            out["target_prob"] = np.exp(-positions[md.LOSS])
            rank = positions[md.RANK]
            out["rank"] = np.where(rank > 0, rank, np.nan)  # 0: no target
        return wire_response(request, {"run": run, "tag": tag, "seq": seq, "pos": pos, "skipped": skipped}, out)


def _floats(values: list) -> np.ndarray:
    """float32 array from (nested) lists where None (stored for undefined values) becomes NaN."""
    if values and isinstance(values[0], list):
        return np.asarray([[np.nan if v is None else v for v in row] for row in values], dtype=np.float32)
    return np.asarray([np.nan if v is None else v for v in values], dtype=np.float32)
