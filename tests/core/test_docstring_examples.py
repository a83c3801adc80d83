"""The docstring examples of every public log_* function, `Writer` and `LayerMonitor` run as doctests and
give what they show (each writes into a temporary folder and reads back what it logged)."""

import doctest
import importlib
import tempfile

import pytest

import tb_suite

MODULES = [
    "tb_suite.core.writer",
    "tb_suite.predictions.summary",
    "tb_suite.attention.summary",
    "tb_suite.tokens.summary",
    "tb_suite.landscape.summary",
    "tb_suite.layers.summary",
    "tb_suite.layers.monitor",
    "tb_suite.runs.summary",
    "tb_suite.runs.compute",
]
PUBLIC = sorted(name for name in tb_suite._EXPORTS if name.startswith("log_")) + ["Writer", "LayerMonitor"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # mkdtemp() in the examples lands here
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
    assert any(tmp_path.iterdir()) or name == "tb_suite.runs.compute"


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_log_function_has_an_example_that_runs_here(name):
    module = tb_suite._EXPORTS[name]
    assert module in MODULES, f"{name} is in {module}, whose doctests this file does not run"
    examples = doctest.DocTestFinder(recurse=False).find(getattr(tb_suite, name), name)[0].examples
    source = "".join(example.source for example in examples)
    assert "tempfile.mkdtemp()" in source, f"{name}'s example does not write into a temporary folder"
    assert any(example.want.strip() for example in examples), f"{name}'s example shows nothing to check"
