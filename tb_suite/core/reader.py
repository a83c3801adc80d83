"""Reading tb-suite records back from a run directory, outside TensorBoard (exports, tests, notebooks).

Uses TensorBoard's own event reader; never imports torch.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from tensorboard.backend.event_processing import event_accumulator

from tb_suite.core import codec
from tb_suite.core.paths import join
from tb_suite.core.sidecar import read_ranges


def _accumulator(run_dir: str) -> event_accumulator.EventAccumulator:
    acc = event_accumulator.EventAccumulator(str(run_dir), size_guidance={event_accumulator.TENSORS: 0})
    acc.Reload()
    return acc


def stored_values(run_dir, plugin_name: str) -> Iterator[tuple[str, int, bytes]]:
    """(tag, step, payload) of every record of `plugin_name` in `run_dir`, sidecar references resolved."""
    acc = _accumulator(run_dir)
    for tag in acc.Tags()["tensors"]:
        if acc.SummaryMetadata(tag).plugin_data.plugin_name != plugin_name:
            continue
        for event in acc.Tensors(tag):
            value = event.tensor_proto.string_val[0]
            try:
                ref = codec.decode_reference(value)
            except codec.CodecError as exc:
                raise codec.CodecError(f"tag {tag!r}, step {event.step}: {exc}") from None
            if ref is not None:
                path = join(str(run_dir), "plugins", plugin_name, ref["file"])
                (value,) = read_ranges(path, [(ref["offset"], ref["length"])])
            yield tag, event.step, value


def read_records(run_dir, plugin_name: str) -> dict[str, dict[int, tuple[dict, dict[str, np.ndarray]]]]:
    """{tag: {step: (meta, arrays)}} of every record of `plugin_name` in `run_dir`; a damaged record raises
    `codec.CodecError` naming its tag and step.

    Example:
        >>> records = read_records("runs/exp1", "tbs_predictions")
        >>> meta, arrays = records["val"][100]
    """
    records: dict[str, dict[int, tuple[dict, dict[str, np.ndarray]]]] = {}
    for tag, step, payload in stored_values(run_dir, plugin_name):
        try:
            records.setdefault(tag, {})[step] = codec.decode_record(payload)
        except codec.CodecError as exc:
            raise codec.CodecError(f"tag {tag!r}, step {step}: {exc}") from None
    return records
