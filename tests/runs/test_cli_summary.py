"""`tb-suite summary` against pandas on the values read back, in its three formats; the server side and the
CLI never import torch."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pandas as pd
import pytest

from tests.helpers import accumulator
from tests.runs.helpers import write_torch_sweep


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    root = tmp_path_factory.mktemp("sweep")
    write_torch_sweep(root)
    return root


def _cli(*args) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "tb_suite.cli", "summary", *map(str, args)], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def _expected(run_dir, tag="train/loss", last_n=10) -> dict:
    events = accumulator(run_dir).Scalars(tag)
    s = pd.Series([e.value for e in events], index=[e.step for e in events], dtype="float64")
    return {"final": s.iloc[-1], "best": s.min(), "best_step": s.idxmin(), "last_mean": s.tail(last_n).mean()}


def test_summary_json_and_csv_match_pandas(sweep):
    rows = json.loads(_cli(sweep, "--format", "json", "--last", "3"))
    assert [r["run"] for r in rows] == ["lr0.01_seed0", "lr0.01_seed1", "lr0.1_seed0", "lr0.1_seed1"]
    for row in rows:
        expected = _expected(sweep / row["run"], last_n=3)
        got = row["metrics"]["train/loss"]
        assert got["best_step"] == expected["best_step"]
        for stat in ("final", "best", "last_mean"):
            assert got[stat] == pytest.approx(expected[stat], rel=1e-12)
        assert row["config"]["optimizer"] == "sgd"
    frame = pd.read_csv(io.StringIO(_cli(sweep, "--format", "csv", "--runs", "seed1$", "--filter", "lr > 0.05")))
    assert frame["run"].tolist() == ["lr0.1_seed1"]
    assert frame["train/loss final"].iloc[0] == pytest.approx(_expected(sweep / "lr0.1_seed1")["final"], rel=1e-12)
    table = _cli(sweep, "--runs", "lr0\\.01")
    assert "lr0.01_seed0" in table and "lr0.1_seed0" not in table and table.rstrip().endswith("2 runs")


def test_summary_errors(sweep, tmp_path):
    for args, message in [
        ((sweep, "--filter", "lr <"), "--filter: column 5"),
        ((sweep, "--runs", "("), "--runs:"),
        ((tmp_path / "nowhere",), "no such folder"),
    ]:
        out = subprocess.run(
            [sys.executable, "-m", "tb_suite.cli", "summary", *map(str, args)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 2 and message in out.stderr, out.stderr


def test_server_side_and_cli_do_not_import_torch():
    code = (
        "import sys\n"
        "import tb_suite.runs.plugin, tb_suite.runs.table, tb_suite.runs.importers, tb_suite.runs.cli, tb_suite.cli\n"
        "tb_suite.cli.build_parser()\n"
        "print(','.join(m for m in ('torch', 'lightning', 'transformers') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
