"""Sizes beyond the documented limits and malformed arguments raise a named error before any evaluation."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import tb_suite as tbs
from tb_suite.core.reader import read_records
from tb_suite.landscape import compute, metadata
from tb_suite.landscape.schedule import MAX_TRAJECTORY, SliceSchedule
from tests.landscape.models import assert_same_state, data, mlp, state


def never(outputs, targets):
    raise AssertionError("the model was evaluated before the arguments were checked")


@pytest.mark.parametrize(
    "call, error, match",
    [
        # limits (docs/limits.md)
        (lambda m, d: compute.plane(m, never, d, grid=3000), ValueError, r"grid must be <= 256 \(the documented limit"),
        (lambda m, d: compute.linear(m, never, d, end=m, n=10**7), ValueError, r"n must be <= 10000"),
        (lambda m, d: compute.axis(m, never, d, params=["1.bias[0]"], n=10**7), ValueError, r"n must be <= 10000"),
        (lambda m, d: compute.axis(m, never, d, params=[0] * 300, n=3), ValueError, r"params lists 300 .* 256"),
        (
            lambda m, d: compute.plane(m, never, d, grid=3, vectorize=True, chunk=10**6),
            ValueError,
            r"chunk must be <= 1024",
        ),
        (lambda m, d: compute.random_directions(m, count=10**6), ValueError, r"count must be <= 16"),
        # arguments named
        (lambda m, d: compute.linear(object(), never, d, end=m), TypeError, r"model must be a torch.nn.Module"),
        (lambda m, d: compute.axis(object(), never, d, params=[0]), TypeError, r"model must be a torch.nn.Module"),
        (lambda m, d: compute.plane(object(), never, d), TypeError, r"model must be a torch.nn.Module"),
        (lambda m, d: compute.plane(m, never, d, grid=3, trajectory=5), TypeError, r"trajectory must be a list"),
        (
            lambda m, d: compute.plane(m, never, d, grid=3, trajectory=[m.state_dict(), {"1.weight": 0}]),
            ValueError,
            r"trajectory\[1\] is missing",
        ),
        (
            lambda m, d: compute.plane(m, never, d, grid=3, trajectory=[[torch.zeros(2)] * 6]),
            ValueError,
            r"trajectory\[0\]\['1.weight'\] has shape",
        ),
        (
            lambda m, d: compute.plane(m, never, d, grid=3, trajectory=[m.state_dict()] * 2, trajectory_steps=[1]),
            ValueError,
            r"trajectory_steps has 1 entries, expected 2",
        ),
        (
            lambda m, d: compute.plane(m, never, d, grid=3, trajectory=[m.state_dict()], trajectory_steps=[1.5]),
            TypeError,
            r"trajectory_steps must hold integers",
        ),
        (
            lambda m, d: compute.plane(m, never, d, grid=3, trajectory=[m.state_dict()], trajectory_steps=[-1]),
            ValueError,
            r"trajectory_steps must be in \[0, 2147483647\]",
        ),
        (
            lambda m, d: compute.plane(m, never, d, grid=3, trajectory=[m.state_dict()], trajectory_steps=5),
            TypeError,
            r"trajectory_steps must be a list of ints",
        ),
        (
            lambda m, d: compute.plane(m, never, d, grid=3, trajectory_steps=[1]),
            ValueError,
            r"trajectory_steps needs trajectory",
        ),
        (lambda m, d: compute.plane(m, never, d, grid=3, seed="x"), TypeError, r"seed must be an int"),
        (lambda m, d: compute.plane(m, never, d, grid=3, seed=float("nan")), TypeError, r"seed must be an int"),
        (lambda m, d: compute.plane(m, never, d, grid=3, seed=-1), ValueError, r"seed must be >= 0"),
        (lambda m, d: compute.random_directions(m, seed="x"), TypeError, r"seed must be an int"),
        (lambda m, d: compute.random_directions(object()), TypeError, r"model must be"),
        (lambda m, d: compute.plane(m, never, d, grid=3, directions=5), ValueError, r"directions must be a pair"),
        (
            lambda m, d: compute.plane(m, never, d, grid=3, directions=[{"a": 1}, {"b": 2}]),
            ValueError,
            r"directions\[0\] is missing",
        ),
        (lambda m, d: compute.plane(m, never, d, grid=3, ignore=["biasbn"]), ValueError, r"ignore must be"),
        (lambda m, d: compute.plane(m, never, d, grid=3, span="ab"), ValueError, r"span must be a pair"),
        (lambda m, d: compute.plane(m, never, d, grid=3, chunk="x"), TypeError, r"chunk must be an int"),
        (lambda m, d: compute.plane(m, never, d, grid=3, eval_mode="yes"), TypeError, r"eval_mode must be a bool"),
        (lambda m, d: compute.plane(m, never, d, grid=3, max_batches=0), ValueError, r"max_batches must be >= 1"),
        (lambda m, d: compute.plane(m, never, d, grid=3.0), TypeError, r"grid must be an int"),
        (lambda m, d: compute.plane(m, "mse", d, grid=3), TypeError, r"loss_fn must be callable"),
        (lambda m, d: compute.linear(m, never, d, end=5), TypeError, r"end must be a state dict"),
        (
            lambda m, d: compute.linear(m, never, d, end={k: "x" for k in m.state_dict()}),
            TypeError,
            r"end\['1.weight'\] must be a tensor",
        ),
        (lambda m, d: compute.axis(m, never, d, params="1.bias[0]"), ValueError, r"params must be a non-empty list"),
        (lambda m, d: compute.normalize_direction([torch.zeros(2)], {}), TypeError, r"direction and weights"),
    ],
)
def test_checked_before_any_evaluation(call, error, match):
    model = mlp()
    before = state(model)
    with pytest.raises(error, match=match):
        call(model, data())
    assert_same_state(model, before)


def test_parameter_names_and_elements_may_come_as_numpy_arrays():
    model = mlp().eval()
    x, y = data()
    sl = compute.axis(model, F.cross_entropy, (x, y), params=np.array(["1.bias[0]", "3.weight[1, 2]"]), n=3)
    assert sl.names == ["1.bias[0]", "3.weight[1, 2]"]


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"grid": 3000}, ValueError, r"grid must be <= 256"),
        ({"linear_n": 10**7, "slices": ["linear"]}, ValueError, r"linear_n must be <= 10000"),
        ({"trajectory": 10**6}, ValueError, rf"trajectory must be <= {MAX_TRAJECTORY}"),
        ({"seed": "x"}, TypeError, r"seed must be an int"),
        ({"normalization": "unit"}, ValueError, r"normalization must be one of"),
        ({"max_batches": "4"}, TypeError, r"max_batches must be an int"),
        ({"slices": ["axis"], "axis_params": "1.bias[0]"}, ValueError, r"axis_params must be a list"),
    ],
)
def test_schedule_checks_its_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        SliceSchedule(**kwargs)


def _axis_mapping(**extra):
    return {"losses": np.ones((2, 3)), "offsets": [-1.0, 0.0, 1.0], **extra}


def test_log_slice_takes_numpy_name_arrays(tmp_path):
    names = np.array(["fc1.weight[0, 0]", "fc1.bias[1]"])
    as_object = tbs.landscape.AxisSlices(
        names, np.array(["fc1", "fc1"]), ["Linear", "Linear"], np.zeros(2), np.linspace(-1, 1, 3), np.ones((2, 3))
    )
    with tbs.Writer(str(tmp_path)) as writer:
        tbs.log_slice(writer, "axes", _axis_mapping(names=names, layers=np.array(["fc1", "fc1"])), step=0)
        tbs.log_slice(writer, "axes", as_object, step=1)
    records = read_records(tmp_path, metadata.PLUGIN_NAME)["axes"]
    for step in (0, 1):
        meta, _ = records[step]
        assert meta["names"] == names.tolist() and meta["layers"] == ["fc1", "fc1"]


@pytest.mark.parametrize(
    "value, error, match",
    [
        (_axis_mapping(names=np.array(["a", "b", "c"])), ValueError, r"slice.names has 3 entries, expected 2"),
        (_axis_mapping(names=np.array([["a"], ["b"]])), ValueError, r"slice.names must be 1-D"),
        (_axis_mapping(kinds=5), TypeError, r"slice.kinds must be a sequence"),
        (_axis_mapping(center_loss="abc"), TypeError, r"slice.center_loss must be a real number"),
        (_axis_mapping(center_loss=float("inf")), ValueError, r"slice.center_loss must be finite"),
        ({"losses": np.ones((3, 3)), "seed": "x"}, TypeError, r"slice.seed must be an int"),
        ({"losses": np.ones((3, 3)), "seed": float("nan")}, TypeError, r"slice.seed must be an int"),
        ({"losses": np.ones((3, 3)), "center_loss": "abc"}, TypeError, r"slice.center_loss must be a real number"),
        ({"losses": np.ones((3, 3)), "normalization": 5}, TypeError, r"slice.normalization must be a string"),
        (
            {"losses": np.ones((3, 3)), "trajectory_steps": [1]},
            ValueError,
            r"slice.trajectory_steps needs slice.trajectory",
        ),
        (
            {"losses": np.ones((3, 3)), "trajectory": np.zeros((2, 2)), "trajectory_steps": [1, 2, 3]},
            ValueError,
            r"slice.trajectory_steps has 3 entries, expected 2",
        ),
        (
            {"losses": np.ones((3, 3)), "trajectory": np.zeros((2, 2)), "trajectory_steps": [0.0, 1.0]},
            TypeError,
            r"slice.trajectory_steps must hold integers",
        ),
        (
            {"losses": np.ones((3, 3)), "trajectory": np.zeros((2, 2)), "trajectory_steps": [[0, 1]]},
            ValueError,
            r"slice.trajectory_steps must have rank 1",
        ),
        (
            {"losses": np.ones((3, 3)), "trajectory": np.zeros((1, 2)), "trajectory_steps": [2**31]},
            ValueError,
            r"slice.trajectory_steps must be in \[0, 2147483647\]",
        ),
    ],
)
def test_log_slice_names_the_bad_field_and_writes_nothing(tmp_path, value, error, match):
    with tbs.Writer(str(tmp_path)) as writer:
        with pytest.raises(error, match=match):
            tbs.log_slice(writer, "s", value, step=0)
    assert not read_records(tmp_path, metadata.PLUGIN_NAME)
