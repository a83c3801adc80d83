"""`log_slice`: validation (named errors, nothing written) and the stored records."""

import numpy as np
import pytest
import torch

import tb_suite as tbs
from tb_suite.core.reader import read_records
from tb_suite.landscape.metadata import PLUGIN_NAME
from tb_suite.landscape.slices import AxisSlices, LineSlice, PlaneSlice


def records(logdir):
    """(step, tag, meta, arrays) of every landscape record written to `logdir`, read back from the event files."""
    return [
        (step, tag, meta, arrays)
        for tag, steps in read_records(logdir, PLUGIN_NAME).items()
        for step, (meta, arrays) in steps.items()
    ]


def test_each_slice_type_round_trips(tmp_path):
    line = LineSlice(np.linspace(-0.5, 1.5, 9), np.linspace(2, 1, 9))
    axes = AxisSlices(
        ["fc.weight[0, 1]"],
        ["fc"],
        ["Linear"],
        np.array([0.3]),
        np.linspace(-1, 1, 5),
        np.arange(5.0)[None] + 1,
        center_loss=3.0,
    )
    plane = PlaneSlice(
        np.linspace(-1, 1, 30),
        np.linspace(-1, 1, 30),
        np.random.default_rng(0).random((30, 30)),
        seed=7,
        trajectory=np.array([[0.0, 0.0], [0.1, -0.2]]),
        center_loss=0.5,
        trajectory_steps=np.array([100, 2**31 - 1]),
    )
    with tbs.Writer(tmp_path) as writer:
        tbs.log_slice(writer, "line", line, step=1)
        tbs.log_slice(writer, "axes", axes, step=2)
        tbs.log_slice(writer, "plane", plane, step=3, description="random plane")
    got = {tag: (step, meta, arrays) for step, tag, meta, arrays in records(tmp_path)}
    assert got["line"][1]["type"] == "linear" and got["line"][0] == 1
    np.testing.assert_allclose(got["line"][2]["loss"], line.losses, rtol=1e-6)
    assert got["axes"][1]["names"] == ["fc.weight[0, 1]"] and got["axes"][1]["layers"] == ["fc"]
    assert got["axes"][1]["center_loss"] == 3.0
    assert got["plane"][1]["type"] == "plane" and got["plane"][1]["seed"] == 7
    np.testing.assert_allclose(got["plane"][2]["loss"], plane.losses, rtol=1e-6)
    np.testing.assert_allclose(got["plane"][2]["trajectory"], plane.trajectory, rtol=1e-6)
    assert got["plane"][2]["trajectory_steps"].tolist() == [100, 2**31 - 1]


def test_type_is_detected_from_bare_arrays_and_mappings(tmp_path):
    with tbs.Writer(tmp_path) as writer:
        tbs.log_slice(writer, "a", torch.linspace(1, 2, 7), step=0)
        tbs.log_slice(writer, "b", np.ones((4, 5)), step=0)
        tbs.log_slice(writer, "c", {"names": ["w"], "losses": [[1.0, 2.0, 3.0]]}, step=0)
        tbs.log_slice(writer, "d", np.ones((4, 5)), step=0, slice_type="axis")
    types = {tag: meta["type"] for _, tag, meta, _ in records(tmp_path)}
    assert types == {"a": "linear", "b": "plane", "c": "axis", "d": "axis"}


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"slice": np.array([1.0, np.nan])}, ValueError, "slice.losses contains 1 NaN"),
        ({"slice": np.ones((2, 2, 2))}, ValueError, "slice type"),
        ({"slice": np.ones((2, 2, 2)), "slice_type": "plane"}, ValueError, "slice.losses must have rank 2"),
        ({"slice": np.array([1.0, 1e39])}, ValueError, "beyond float32"),
        ({"slice": np.ones(3), "slice_type": "cube"}, ValueError, "slice_type must be one of"),
        ({"slice": LineSlice(np.zeros(3), np.ones(3)), "slice_type": "plane"}, ValueError, "does not match"),
        ({"slice": {"losses": np.ones((3, 3)), "xs": np.ones(2)}}, ValueError, "slice.xs"),
        ({"slice": {"losses": np.ones(3), "alphas": np.ones(4)}}, ValueError, "slice.alphas"),
        ({"slice": {"losses": np.ones((2, 2)), "colour": 1}}, ValueError, "unknown field"),
        ({"slice": "loss"}, TypeError, "slice must be"),
        ({"slice": np.ones(3), "step": -1}, ValueError, "step"),
        ({"slice": np.ones(3), "tag": ""}, ValueError, "tag"),
        ({"slice": np.ones(3), "description": 3}, TypeError, "description"),
    ],
)
def test_bad_input_raises_named_errors_and_writes_nothing(tmp_path, kwargs, error, match):
    args = {"tag": "t", "step": 0, **kwargs}
    with pytest.raises(error, match=match):
        tbs.log_slice(tbs.Writer(tmp_path), args.pop("tag"), args.pop("slice"), **args)
    assert not list(tmp_path.iterdir())
