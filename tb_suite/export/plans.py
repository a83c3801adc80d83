"""Per tab, the route answers its views ask for over a selection (what frontend/src/plugins/<family>/data.ts
fetches), so that an export answers every interaction within the exported runs, tags and steps."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from tb_suite.core import wire
from tb_suite.export.selection import Selection


@dataclass(frozen=True)
class Ask:
    """One route call; `cut` rewrites its answer body to the selection (spanning routes list every step)."""

    route: str
    params: dict
    cut: Callable[[bytes], bytes] | None = None


def _records(tags: dict) -> Iterator[Ask]:
    for run, by_tag in tags.items():
        for tag, info in by_tag.items():
            for step in info["steps"]:
                yield Ask("record", {"run": run, "tag": tag, "step": step})


def _cut_rows(selection: Selection) -> Callable[[bytes], bytes]:
    def cut(body: bytes) -> bytes:
        return json.dumps([row for row in json.loads(body) if selection.step(row["step"])]).encode()

    return cut


def _cut_series(selection: Selection, last_axis: frozenset = frozenset()) -> Callable[[bytes], bytes]:
    """Keeps the selected steps of a route answer over steps: its `steps` array, and every array whose
    first axis (last axis for the names in `last_axis`) runs over them."""

    def cut(body: bytes) -> bytes:
        meta, arrays = wire.decode_wire(body)
        keep = np.asarray([selection.step(int(s)) for s in arrays["steps"]], bool)
        n = len(keep)
        out = {}
        for name, a in arrays.items():
            if name in last_axis and a.ndim and a.shape[-1] == n:
                out[name] = a[..., keep]
            elif a.ndim and a.shape[0] == n:
                out[name] = a[keep]
            else:
                out[name] = a
        return wire.encode_wire(meta, out)

    return cut


Get = Callable[[str, dict], tuple[int, str, bytes]]


def landscape(tags: dict, selection: Selection, get: Get) -> Iterator[Ask]:
    yield from _records(tags)
    for run, by_tag in tags.items():
        for tag in by_tag:
            yield Ask("steps", {"run": run, "tag": tag}, _cut_rows(selection))


def tokens(tags: dict, selection: Selection, get: Get) -> Iterator[Ask]:
    """Records, each run's history, and the history of every (sequence, position) a click can pin: the
    tab asks for it in every run showing the tag, so over the largest batch and length of any run."""
    yield from _records(tags)
    for tag in {tag for by_tag in tags.values() for tag in by_tag}:
        runs = [run for run, by_tag in tags.items() if tag in by_tag]
        batch = length = 0
        for run in runs:
            yield Ask("history", {"run": run, "tag": tag}, _cut_series(selection))
            for step in tags[run][tag]["steps"]:
                status, _, body = get("record", {"run": run, "tag": tag, "step": step, "arrays": ""})
                if status == 200:
                    meta = wire.decode_wire(body)[0]
                    batch, length = max(batch, meta["batch"]), max(length, meta["length"])
        for run in runs:
            for seq in range(batch):
                for pos in range(length):
                    yield Ask("history", {"run": run, "tag": tag, "seq": seq, "pos": pos}, _cut_series(selection))


# Up to this many classes every confusion cell's examples are embedded (an empty cell answers "no
# examples"); above it only the cells that hold examples (a click on another cell says it was not exported).
ALL_CELLS_UP_TO = 32


def predictions(tags: dict, selection: Selection, get: Get) -> Iterator[Ask]:
    yield from _records(tags)
    for run, by_tag in tags.items():
        for tag, info in by_tag.items():
            for step in info["steps"]:
                status, _, body = get(
                    "record", {"run": run, "tag": tag, "step": step, "arrays": "example_true,example_pred"}
                )
                if status != 200:
                    continue
                meta, arrays = wire.decode_wire(body)
                classes = int(meta.get("num_classes", 0))
                if classes <= ALL_CELLS_UP_TO:
                    cells = {(t, p) for t in range(classes) for p in range(classes)}
                elif "example_true" in arrays:
                    cells = set(
                        zip(arrays["example_true"].astype(int).tolist(), arrays["example_pred"].astype(int).tolist())
                    )
                else:
                    cells = set()
                for true, pred in sorted(cells):
                    yield Ask("examples", {"run": run, "tag": tag, "step": step, "true": true, "pred": pred})


def layers(tags: dict, selection: Selection, get: Get) -> Iterator[Ask]:
    """Records, every statistic's layer x step series, every layer's distributions of each kind, the
    diagnoses, and the feature maps each step holds. The diagnoses and the distributions' common bin edges
    are those of every logged step (as the live tab shows them); their values are cut to the selection."""
    from tb_suite.layers import metadata as md

    yield from _records(tags)
    for run, by_tag in tags.items():
        for tag, info in by_tag.items():
            for stat in md.STATS:
                yield Ask(
                    "series", {"run": run, "tag": tag, "stat": stat}, _cut_series(selection, frozenset({"values"}))
                )
            yield Ask("diagnoses", {"run": run, "tag": tag})
            names: set[str] = set()
            for step in info["steps"]:
                status, _, body = get("record", {"run": run, "tag": tag, "step": step, "arrays": ""})
                if status != 200:
                    continue
                meta = wire.decode_wire(body)[0]
                names.update(meta.get("layers", []))
                for entry in meta.get("feature_maps", []):
                    yield Ask("feature_map", {"run": run, "tag": tag, "step": step, "layer": entry["layer"]})
            for layer in sorted(names):
                for kind in md.KINDS:
                    yield Ask(
                        "distribution",
                        {"run": run, "tag": tag, "layer": layer, "kind": kind, "bins": 48},
                        _cut_series(selection, frozenset({"density"})),
                    )


ATTENTION_MAP_SIZE = 512  # frontend/src/plugins/attention/data.ts MAP_SIZE
ATTENTION_VIEWS = ("head", "layer", "rollout")


def attention(tags: dict, selection: Selection, get: Get) -> Iterator[Ask]:
    """Per step and example: its tokens, the all-heads grid and every map the pickers reach (each view at
    every layer and head: the tab sends both whatever the view); a head-statistics tag's statistics. Not
    zoomed regions (a zoom in the export says it was not exported)."""
    for run, by_tag in tags.items():
        for tag, info in by_tag.items():
            for step in info["steps"]:
                status, _, body = get("example", {"run": run, "tag": tag, "step": step, "example": 0})
                if status != 200:  # a head-statistics tag
                    yield Ask("head_stats", {"run": run, "tag": tag}, _cut_series(selection))
                    break
                meta = json.loads(body)
                for example in range(meta["examples"]):
                    at = {"run": run, "tag": tag, "step": step, "example": example}
                    yield Ask("example", at)
                    yield Ask("grid", {**at, "size": 48})
                    for view in ATTENTION_VIEWS:
                        for layer in range(meta["layers"]):
                            for head in range(meta["heads"]):
                                yield Ask(
                                    "map",
                                    {**at, "view": view, "layer": layer, "head": head, "size": ATTENTION_MAP_SIZE},
                                )


# family -> the asks of its tab. Families missing here export as JSON only.
PLANS: dict[str, Callable[[dict, Selection, Get], Iterator[Ask]]] = {
    "attention": attention,
    "landscape": landscape,
    "layers": layers,
    "predictions": predictions,
    "tokens": tokens,
}
