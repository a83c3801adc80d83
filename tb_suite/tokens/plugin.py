"""The Tokens tab: per-position next-token predictions, entropy and targets, and how they change over steps."""

from __future__ import annotations

import numpy as np

from tb_suite.core.plugin import FamilyPlugin, NotFound, Query, wire_response
from tb_suite.tokens import metadata as md

_HISTORY_ARRAYS = (md.ENTROPY, md.LOSS, md.RANK)


class TokensPlugin(FamilyPlugin):
    plugin_name = md.PLUGIN_NAME
    tab_name = "Tokens"
    frontend = "tokens"

    def family_routes(self):
        return {"/history": self._history}

    def _history(self, request, query: Query):
        """Loss and perplexity of every step; with `seq` and `pos`, that position's entropy, loss and rank too."""
        run, tag = query.string("run"), query.string("tag")
        seq = query.integer("seq", -1)
        pos = query.integer("pos", -1) if seq >= 0 else -1
        steps = sorted({d.step for d in self.read_series(request, run, tag)})
        metas, positions = [], {name: [] for name in _HISTORY_ARRAYS}
        for step in steps:
            meta = self.read_header(request, run, tag, step)[0]["meta"]  # the arrays are not read
            metas.append(meta)
            if pos >= 0:
                inside = seq < meta["batch"] and pos < meta["length"]
                inside = inside and self.read_slice(request, run, tag, step, md.MASK, (seq, pos))[1]
                for name in positions:
                    value = self.read_slice(request, run, tag, step, name, (seq, pos))[1] if inside else np.nan
                    positions[name].append(value)
        if not steps:
            raise NotFound(f"no steps for run {run!r} and tag {tag!r}")
        width = max(meta["batch"] for meta in metas)
        out = {
            "steps": np.asarray(steps, dtype=np.float64),
            "loss": _floats([m.get("loss") for m in metas]),
            "perplexity": _floats([m.get("perplexity") for m in metas]),
            "seq_loss": _floats([m["seq_loss"] + [None] * (width - len(m["seq_loss"])) for m in metas]),
        }
        if pos >= 0:
            out["entropy"] = np.asarray(positions[md.ENTROPY], dtype=np.float32)
            out["target_prob"] = np.exp(-np.asarray(positions[md.LOSS], dtype=np.float32))
            rank = np.asarray(positions[md.RANK], dtype=np.float32)
            out["rank"] = np.where(rank > 0, rank, np.nan)  # 0: no target
        return wire_response(request, {"run": run, "tag": tag, "seq": seq, "pos": pos}, out)


def _floats(values: list) -> np.ndarray:
    """float32 array from (nested) lists where None (stored for undefined values) becomes NaN."""
    if values and isinstance(values[0], list):
        return np.asarray([[np.nan if v is None else v for v in row] for row in values], dtype=np.float32)
    return np.asarray([np.nan if v is None else v for v in values], dtype=np.float32)
