"""Same directions, same points: our slices agree with the `loss-landscapes` package (3.0.6) to 1e-5.

Quirks of the package we align to (see DESIGN.md section 6): `random_plane` shifts every even row one step
along the second direction, `linear_interpolation` never evaluates alpha = 0, and it leaves models displaced
unless `deepcopy_model=True`.
"""

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from tb_suite.landscape import compute
from tests.landscape.models import cnn, data, mlp

loss_landscapes = pytest.importorskip("loss_landscapes")
from loss_landscapes.metrics import Loss  # noqa: E402
from loss_landscapes.model_interface.model_parameters import orthogonal_to, rand_u_like  # noqa: E402
from loss_landscapes.model_interface.model_wrapper import wrap_model  # noqa: E402


def package_plane_directions(model, steps, distance, seed):
    """The per-step directions `random_plane` draws after `torch.manual_seed(seed)`, built with its own code."""
    torch.manual_seed(seed)
    start = wrap_model(copy.deepcopy(model)).get_module_parameters()
    one = rand_u_like(start)
    two = orthogonal_to(one)
    one.filter_normalize_(start)
    two.filter_normalize_(start)
    one.mul_(((start.model_norm() / distance) / steps) / one.model_norm())
    two.mul_(((start.model_norm() / distance) / steps) / two.model_norm())
    names = [n for n, _ in model.named_parameters()]
    return [dict(zip(names, (t.clone() for t in d.parameters))) for d in (one, two)]


# the package divides by zero on BatchNorm layers (a zero bias filter), so its CNN has none
@pytest.mark.parametrize("make, shape", [(mlp, (12,)), (lambda: cnn(batchnorm=False), (1, 8, 8))])
def test_plane_matches_random_plane(make, shape):
    model = make().eval()
    x, y = data(32, shape)
    steps, seed = 8, 4
    d1, d2 = package_plane_directions(model, steps, 1, seed)
    torch.manual_seed(seed)
    theirs = loss_landscapes.random_plane(
        model, Loss(F.cross_entropy, x, y), distance=1, steps=steps, normalization="filter", deepcopy_model=True
    )
    ours = compute.plane(
        model,
        F.cross_entropy,
        (x, y),
        grid=steps + 1,
        span=(-steps / 2, steps / 2),
        directions=(d1, d2),
        normalization="none",
    )
    # their row i sits at -steps/2 + i along d1; column j at -steps/2 + j (+1 on even rows) along d2
    for i in range(steps):
        for j in range(steps):
            jj = j + 1 if i % 2 == 0 else j
            assert ours.losses[jj, i] == pytest.approx(float(theirs[i, j]), abs=1e-5), (i, j)


def test_linear_matches_linear_interpolation():
    start, end = mlp(0).eval(), mlp(1).eval()
    x, y = data(32)
    steps = 10
    theirs = loss_landscapes.linear_interpolation(
        start, end, Loss(F.cross_entropy, x, y), steps=steps, deepcopy_model=True
    )
    ours = compute.linear(
        copy.deepcopy(start), F.cross_entropy, (x, y), start=start.state_dict(), end=end, n=steps + 1, span=(0, 1)
    )
    np.testing.assert_allclose(ours.losses[1:], theirs, atol=1e-5)  # they evaluate alpha = 1/steps .. 1
