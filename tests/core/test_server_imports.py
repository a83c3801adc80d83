"""The TensorBoard side never imports torch (it would add ~3 s to TensorBoard's start)."""

import subprocess
import sys

SERVER_MODULES = [
    "tb_suite",
    "tb_suite.entry",
    "tb_suite.core.reader",
    "tb_suite.predictions.plugin",
    "tb_suite.attention.plugin",
    "tb_suite.tokens.plugin",
    "tb_suite.landscape.plugin",
]


def test_plugins_and_entry_points_do_not_import_torch():
    code = (
        "import sys, importlib\n"
        f"for name in {SERVER_MODULES!r}: importlib.import_module(name)\n"
        "import tb_suite.entry as entry\n"
        "loaders = [getattr(entry, n) for n in dir(entry) if n.endswith('Loader')]\n"
        "assert len(loaders) >= 4, loaders\n"
        "heavy = [m for m in ('torch', 'lightning', 'transformers') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"server side imported {result.stdout.strip()}"
