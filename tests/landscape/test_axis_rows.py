"""Every row of an axis slice moves one element from the centre: checked point by point against a copy of
the model with that one element set by hand."""

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from tb_suite.landscape import compute
from tests.landscape.models import assert_same_state, cnn, data, state


def mlp_4_5_2() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2)).eval()


def direct(model: nn.Module, batch, name: str, index: tuple, offsets) -> np.ndarray:
    """The loss with only `name[index]` moved by each offset, on a fresh copy of the model (float64 oracle
    for the offsets, the model's own arithmetic for the forward)."""
    x, y = batch
    out = []
    for offset in offsets:
        moved = copy.deepcopy(model).eval()
        with torch.no_grad():
            p = dict(moved.named_parameters())[name]
            p[index] = float(p[index].double() + float(offset))
            out.append(float(F.cross_entropy(moved(x), y)))
    return np.array(out)


def _parse(display: str) -> tuple[str, tuple]:
    name, _, rest = display.partition("[")
    return name, tuple(int(i) for i in rest.rstrip("]").split(","))


CASES = [
    (mlp_4_5_2, (4,), ["2.weight[0, 0]", "2.bias[0]", "2.weight[1, 3]"]),  # the reported case
    (mlp_4_5_2, (4,), ["2.bias[0]", "2.bias[1]", "2.weight[0, 4]", "2.bias[0]"]),  # same tensor, repeated
    (mlp_4_5_2, (4,), ["0.weight[0, 0]", "0.bias[0]", "0.weight[1, 3]", "0.bias[4]"]),  # first layer only
    (mlp_4_5_2, (4,), ["0.bias[2]", "2.bias[1]", "0.weight[4, 1]", "2.weight[1, 0]", "0.bias[2]"]),  # mixed
    (
        lambda: cnn(batchnorm=False).eval(),
        (1, 8, 8),
        ["0.bias[1]", "3.weight[0, 1, 1, 1]", "0.weight[2, 0, 1, 1]", "6.bias[2]"],
    ),
]


@pytest.mark.parametrize("vectorize", [None, True])
@pytest.mark.parametrize("make, shape, params", CASES)
def test_every_row_matches_a_direct_evaluation_at_every_point(make, shape, params, vectorize):
    model = make()
    batch = data(16, shape, classes=2 if shape == (4,) else 3)
    before = state(model)
    sl = compute.axis(model, F.cross_entropy, batch, params=params, n=5, bounds=(-2, 2), vectorize=vectorize)
    assert_same_state(model, before)
    with torch.no_grad():
        centre = float(F.cross_entropy(model(batch[0]), batch[1]))
    assert sl.center_loss == pytest.approx(centre, abs=1e-6)
    for row, display in enumerate(sl.names):
        name, index = _parse(display)
        ref = direct(model, batch, name, index, sl.offsets)
        np.testing.assert_allclose(sl.losses[row], ref, atol=2e-6, err_msg=display)
        # the centre column is the centre loss in every row
        assert sl.losses[row, 2] == pytest.approx(centre, abs=1e-6), display


def test_an_iterator_of_batches_serves_every_row():
    model = mlp_4_5_2()
    x, y = data(16, (4,), classes=2)
    batches = [(x[:6], y[:6]), (x[6:], y[6:])]
    sl = compute.axis(model, F.cross_entropy, iter(batches), params=["0.bias[1]", "2.bias[0]"], n=3)
    for row, display in enumerate(sl.names):
        name, index = _parse(display)
        ref = direct(model, (x, y), name, index, sl.offsets)
        np.testing.assert_allclose(sl.losses[row], ref, atol=2e-6, err_msg=display)
