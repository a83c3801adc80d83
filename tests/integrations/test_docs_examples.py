"""Issue 13 item 10: every ```python block of docs/integrations.md runs as written (in order, one
namespace, tiny models from configs), and each example writes records into the tab its `# tab:` names."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import pytest

from tb_suite.core import writer as writers
from tb_suite.core.reader import read_records

pytestmark = pytest.mark.slow
DOC = Path(__file__).resolve().parents[2] / "docs" / "integrations.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)


def _records(root: Path, plugin: str) -> set[tuple[str, str, int]]:
    for writer in list(writers._writers.values()):
        writer.flush()
    found = set()
    for run_dir in {p.parent for p in root.rglob("events.out.tfevents.*")}:
        for tag, steps in read_records(str(run_dir), plugin).items():
            found |= {(str(run_dir), tag, step) for step in steps}
    return found


def test_every_callback_of_both_frameworks_has_an_example():
    text = "\n".join(BLOCKS)
    for framework in ("lightning", "transformers"):
        for callback in (
            "PredictionsCallback",
            "AttentionCallback",
            "TokenPredictionsCallback",
            "LandscapeCallback",
            "LayerMonitorCallback",
        ):
            assert f"tbs.{framework}.{callback}(" in text, (framework, callback)
    assert "tbs.lightning.callbacks(" in text and "tbs.transformers.attach(trainer)" in text


def test_the_examples_run_and_write_into_their_tabs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TENSORBOARD_LOGGING_DIR", raising=False)
    logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
    namespace: dict = {"__name__": "docs_integrations"}
    for number, block in enumerate(BLOCKS):
        tab = re.search(r"^# tab: (\w+)", block, flags=re.M)
        before = _records(tmp_path, f"tbs_{tab.group(1)}") if tab else set()
        exec(compile(block, f"{DOC.name} block {number}", "exec"), namespace)
        if tab:
            assert _records(tmp_path, f"tbs_{tab.group(1)}") - before, f"block {number} wrote no {tab.group(1)} records"
    assert number >= 12 and os.path.isdir(tmp_path / "runs") and os.path.isdir(tmp_path / "out")
