"""Issue 13 item 9: every public name is in `dir()`, and every family module exports its `log_*` functions."""

from __future__ import annotations

import ast
import importlib
import pathlib
import subprocess
import sys

import tb_suite

FAMILIES = [p.parent.name for p in pathlib.Path(tb_suite.__file__).parent.glob("*/summary.py")]


def _public_log_functions(family: str) -> list[str]:
    tree = ast.parse((pathlib.Path(tb_suite.__file__).parent / family / "summary.py").read_text())
    return [node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("log_")]


def test_dir_lists_every_public_name_without_importing_torch():
    code = (
        "import sys, tb_suite as tbs\n"
        "names = dir(tbs)\n"
        "print(sorted(set(tbs.__all__) - set(names)), 'lazy_getattr' in names, 'torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["[]", "False", "False"]
    assert {"Writer", "log_predictions", "log_token_predictions", "lightning", "transformers"} <= set(dir(tb_suite))


def test_every_family_module_exports_its_log_functions_and_lists_them():
    assert {"attention", "landscape", "predictions", "tokens"} <= set(FAMILIES)
    for family in FAMILIES:
        module = importlib.import_module(f"tb_suite.{family}")
        assert family in dir(tb_suite)
        functions = _public_log_functions(family)
        assert functions, family
        for name in functions:
            assert name in dir(module) and name in module.__all__, (family, name)
            summary = importlib.import_module(f"tb_suite.{family}.summary")
            assert getattr(module, name) is getattr(summary, name)
            assert getattr(tb_suite, name) is getattr(summary, name)  # and at the top level
        for name in module.__all__:  # every listed name resolves
            assert getattr(module, name) is not None, (family, name)
