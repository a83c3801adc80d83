"""log_config / log_scalars: what they write (read back with TensorBoard's reader) and input checks that
name the argument before anything is written."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tb_suite as tbs
from tb_suite.core.reader import read_records
from tests.helpers import accumulator


def test_log_scalars_are_plain_tensorboard_scalars(tmp_path):
    torch = pytest.importorskip("torch")
    with tbs.Writer(str(tmp_path / "r")) as writer:
        tbs.log_scalars(writer, {"loss": 0.25, "lr": np.float32(3e-4), "acc": torch.tensor(0.5)}, step=3)
        tbs.log_scalars(writer, {"loss": 0.125}, step=4)
    from tensorboard.util import tensor_util

    acc = accumulator(tmp_path / "r")
    got = {
        tag: [(e.step, float(tensor_util.make_ndarray(e.tensor_proto))) for e in acc.Tensors(tag)]
        for tag in ("loss", "lr", "acc")
    }
    assert got == {"loss": [(3, 0.25), (4, 0.125)], "lr": [(3, float(np.float32(3e-4)))], "acc": [(3, 0.5)]}
    assert acc.SummaryMetadata("loss").plugin_data.plugin_name == "scalars"


def test_log_config_flattens_and_later_call_wins(tmp_path):
    with tbs.Writer(str(tmp_path / "r")) as writer:
        tbs.log_config(writer, {"a": 1})
        tbs.log_config(
            writer,
            {"model": {"layers": 4, "act": "gelu"}, "betas": (0.9, 0.99), "x": math.inf},
            files=[{"path": "ckpt/best.pt", "bytes": 12}],
        )
    records = read_records(tmp_path / "r", "tbs_runs")["config"]
    meta, arrays = records[max(records)]
    assert meta["config"] == {"model.layers": 4, "model.act": "gelu", "betas": "[0.9, 0.99]", "x": "inf"}
    assert meta["files"] == [{"path": "ckpt/best.pt", "bytes": 12}] and meta["source"] == "log_config" and not arrays


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda w: tbs.log_scalars(w, {"loss": math.nan}, step=0), ValueError, r"values\['loss'\] is nan"),
        (lambda w: tbs.log_scalars(w, {"loss": "x"}, step=0), TypeError, r"values\['loss'\] must be a number"),
        (lambda w: tbs.log_scalars(w, {"loss": np.ones(2)}, step=0), TypeError, r"values\['loss'\]"),
        (lambda w: tbs.log_scalars(w, {}, step=0), ValueError, "values is empty"),
        (lambda w: tbs.log_scalars(w, [1], step=0), TypeError, "values must be a mapping"),
        (lambda w: tbs.log_scalars(w, {"": 1.0}, step=0), ValueError, "tag must be a non-empty string"),
        (lambda w: tbs.log_scalars(w, {"loss": 1.0, "bad": math.inf}, step=0), ValueError, r"values\['bad'\]"),
        (lambda w: tbs.log_scalars(w, {"loss": 1.0}, step=-1), ValueError, "step must be >= 0"),
        (lambda w: tbs.log_config(w, [("a", 1)]), TypeError, "config must be a mapping"),
        (lambda w: tbs.log_config(w, {"a": 1}, files=[{"bytes": 3}]), TypeError, r"files\[0\] must be a mapping"),
        (lambda w: tbs.log_config(w, {"a": 1}, files=[{"path": "p", "bytes": -1}]), ValueError, r"files\[0\].bytes"),
        (lambda w: tbs.log_config(w, {"a": 1}, source=3), TypeError, "source must be a string"),
    ],
)
def test_bad_input_names_the_argument_and_writes_nothing(tmp_path, call, error, message):
    run_dir = tmp_path / "r"
    with pytest.raises(error, match=message):
        call(str(run_dir))
    assert not run_dir.exists()  # nothing created, not even an empty event file


def test_a_config_beyond_the_inline_limit_is_read_back_from_its_sidecar(tmp_path):
    """The Runs table resolves a config record stored in a sidecar file next to the event file."""
    from tb_suite.core.writer import INLINE_LIMIT
    from tb_suite.runs.table import _record_meta
    from tests.helpers import stored_inline

    config = {f"key{i}": "v" * 40 for i in range(INLINE_LIMIT // 40)}
    with tbs.Writer(str(tmp_path / "r")) as writer:
        tbs.log_config(writer, config)
    acc = accumulator(tmp_path / "r")
    assert not stored_inline(acc, "config", 0)
    (event,) = acc.Tensors("config")
    assert _record_meta(event.tensor_proto.string_val[0], str(tmp_path), "r")["config"] == config
