"""The shared helpers in tb_suite/core that the families use instead of copies of their own."""

import numpy as np
import pytest
import torch

from tb_suite.core import dist, paths
from tb_suite.core.tensors import as_tensor, to_device
from tb_suite.core.validate import check_int, check_positive_int, finite_or_none


def test_as_tensor():
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    tensor = as_tensor(array, "x")
    array[0, 0] = 7
    assert tensor[0, 0] == 7, "a numpy array is shared, not copied"
    grad = torch.ones(2, requires_grad=True)
    assert not as_tensor(grad, "x").requires_grad
    assert as_tensor([[1, 2], [3, 4]], "x").tolist() == [[1, 2], [3, 4]]
    for value, error in (
        (torch.ones(2, dtype=torch.complex64), "x must be real"),
        (np.array(["a"]), "x must be numeric"),
        ("ab", "x must be a torch tensor"),
    ):
        with pytest.raises(TypeError, match=error):
            as_tensor(value, "x")
    with pytest.raises(TypeError, match="logits must be a torch tensor or a numpy array, got list"):
        as_tensor([1.0], "logits", sequences=False)


def test_to_device_copies_through_containers():
    inner = torch.zeros(2)
    batch = {"x": (inner, [np.ones(2)]), "n": 3}
    moved = to_device(batch, "cpu")
    assert moved["x"][0] is inner and isinstance(moved["x"][1][0], torch.Tensor) and moved["n"] == 3
    assert type(moved["x"]) is tuple and type(moved["x"][1]) is list
    snapshot = to_device(batch, "cpu", copy=True)
    inner += 1
    assert snapshot["x"][0].tolist() == [0.0, 0.0]
    assert to_device(None, "cpu") is None


def test_rank_and_world_size_outside_a_process_group(monkeypatch):
    monkeypatch.setenv("RANK", "3")
    monkeypatch.setenv("WORLD_SIZE", "4")
    assert dist.rank_and_world_size() == (0, 1)
    assert dist.rank_and_world_size(launcher=True) == (3, 4)


def test_paths():
    assert paths.is_remote("gs://bucket/run") and not paths.is_remote("/tmp/run")
    assert paths.join("gs://bucket/logs/", "run", "f") == "gs://bucket/logs/run/f"
    assert paths.join("logs", "run", "f") == "logs/run/f"


def test_integer_checks_are_one_family():
    assert check_positive_int(np.int64(3), "every") == 3 and check_positive_int(torch.tensor(2), "every") == 2
    assert check_positive_int(None, "every", optional=True) is None
    for bad in (0, True, 2.0, "2", None):
        with pytest.raises(ValueError, match=r"every must be an int >= 1, got"):
            check_positive_int(bad, "every")
    with pytest.raises(ValueError, match=r"k must be <= 5 \(see\), got 6"):
        check_int(6, "k", maximum=5, hint=" (see)")


def test_finite_or_none():
    assert finite_or_none(np.float64(1.5)) == 1.5 and type(finite_or_none(np.float64(1.5))) is float
    assert (
        finite_or_none(float("nan")) is None and finite_or_none(float("inf")) is None and finite_or_none(None) is None
    )
