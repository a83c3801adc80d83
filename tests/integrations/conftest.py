"""Reading back what the integrations wrote: TensorBoard's own event reader plus tb-suite's reader."""

from __future__ import annotations

import pytest

from tb_suite.core.reader import read_records
from tests.helpers import accumulator


class Run:
    """One run directory as TensorBoard's `EventAccumulator` sees it (every step kept)."""

    def __init__(self, run_dir):
        self.run_dir = str(run_dir)
        self.acc = accumulator(self.run_dir)

    def plugin_tags(self, plugin_name: str) -> list[str]:
        return sorted(
            tag
            for tag in self.acc.Tags()["tensors"]
            if self.acc.SummaryMetadata(tag).plugin_data.plugin_name == plugin_name
        )

    def steps(self, tag: str) -> list[int]:
        return [event.step for event in self.acc.Tensors(tag)]

    def record(self, plugin_name: str, tag: str, step: int) -> tuple[dict, dict]:
        return read_records(self.run_dir, plugin_name)[tag][step]

    def scalar_tags(self) -> set[str]:
        return set(self.acc.Tags()["scalars"]) | {
            tag
            for tag in self.acc.Tags()["tensors"]
            if self.acc.SummaryMetadata(tag).plugin_data.plugin_name == "scalars"
        }


@pytest.fixture
def read_run():
    """`read_run(run_dir)` -> a `Run` read from the event files in `run_dir`."""
    return Run
