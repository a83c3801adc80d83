"""Reading back what the integrations wrote: TensorBoard's own event reader plus tb-suite's codec."""

from __future__ import annotations

import os

import pytest
import torch
from tensorboard.backend.event_processing import event_accumulator

from tb_suite.core import codec


class Run:
    """One run directory as TensorBoard's `EventAccumulator` sees it (every step kept)."""

    def __init__(self, run_dir):
        self.run_dir = str(run_dir)
        self.acc = event_accumulator.EventAccumulator(
            self.run_dir, size_guidance={event_accumulator.TENSORS: 0, event_accumulator.SCALARS: 0}
        )
        self.acc.Reload()

    def plugin_tags(self, plugin_name: str) -> list[str]:
        return sorted(
            tag for tag in self.acc.Tags()["tensors"]
            if self.acc.SummaryMetadata(tag).plugin_data.plugin_name == plugin_name
        )

    def steps(self, tag: str) -> list[int]:
        return [event.step for event in self.acc.Tensors(tag)]

    def record(self, plugin_name: str, tag: str, step: int) -> tuple[dict, dict]:
        (event,) = [e for e in self.acc.Tensors(tag) if e.step == step]
        value = event.tensor_proto.string_val[0]
        ref = codec.decode_reference(value)
        if ref is not None:
            with open(os.path.join(self.run_dir, "plugins", plugin_name, ref["file"]), "rb") as f:
                f.seek(ref["offset"])
                value = f.read(ref["length"])
        return codec.decode_record(value)

    def scalar_tags(self) -> set[str]:
        return set(self.acc.Tags()["scalars"]) | {
            tag for tag in self.acc.Tags()["tensors"]
            if self.acc.SummaryMetadata(tag).plugin_data.plugin_name == "scalars"
        }


@pytest.fixture(autouse=True)
def _few_threads():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def read_run():
    """`read_run(run_dir)` -> a `Run` read from the event files in `run_dir`."""
    return Run
