"""tb_suite imports without the frameworks; using an integration without its framework names the extra."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_importing_tb_suite_loads_no_framework():
    result = _python(
        "import sys, tb_suite\nprint(sorted(m for m in ('torch', 'lightning', 'transformers') if m in sys.modules))"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(("module", "extra"), [("lightning", "lightning"), ("transformers", "transformers")])
def test_a_missing_framework_raises_an_import_error_naming_the_extra(module, extra):
    result = _python(
        f"import sys; sys.modules[{module!r}] = None  # what Python does for a package that is not installed\n"
        "import tb_suite\n"
        "try:\n"
        f"    tb_suite.{extra}\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    assert result.returncode == 0, result.stderr
    assert f"pip install 'tb-suite[{extra}]'" in result.stdout
