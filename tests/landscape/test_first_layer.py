"""The first-layer shortcut of the CPU loop: when it is taken, its work buffers and its channels-last CNN path."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from tb_suite.landscape import compute, evaluator
from tests.landscape.models import TinyLM, assert_same_state, cnn, data, state
from tests.landscape.test_compute import plain_losses

torch.set_num_threads(1)


def _grid_points(sl):
    xx, yy = np.meshgrid(sl.xs, sl.ys)
    return np.stack([xx.ravel(), yy.ravel()], 1)


@pytest.mark.parametrize(
    "module, shape, pays",
    [
        (nn.Linear(784, 128), (1024, 128), True),  # the benchmark MLP: 784 multiply-adds per output
        (nn.Conv2d(1, 16, 3, padding=1), (256, 16, 28, 28), True),  # the benchmark CNN: 9 per output
        (nn.Conv2d(2, 16, 1), (256, 16, 28, 28), False),  # 2 per output: cheaper than reading two cached tensors
        (nn.Embedding(11, 6), (10, 5, 6), False),  # small table, many lookups
        (nn.Embedding(50_000, 8), (4, 16, 8), True),  # large table, few lookups: moving the table dominates
    ],
)
def test_shortcut_is_taken_only_where_it_pays(module, shape, pays):
    own = dict(module.named_parameters(recurse=False))
    assert evaluator.shortcut_pays(module, torch.empty(shape), own, [["weight"], ["weight"]]) is pays


def test_tied_embedding_with_the_shortcut_forced(monkeypatch):
    monkeypatch.setattr(evaluator, "shortcut_pays", lambda *a: True)
    model = TinyLM().eval()
    ids = torch.randint(0, 11, (10, 5), generator=torch.Generator().manual_seed(0))
    y = torch.randint(0, 11, (10,))
    sl = compute.plane(model, F.cross_entropy, (ids, y), grid=3, normalization="layer")
    dirs = compute.random_directions(model, seed=0, normalization="layer")
    ref = plain_losses(model, F.cross_entropy, [(ids, y)], _grid_points(sl), dirs)
    np.testing.assert_allclose(sl.losses.ravel(), ref, atol=1e-5)


def test_cnn_gets_channels_last_activations_over_several_batches():
    model = cnn(batchnorm=True).eval()
    x, y = data(20, (1, 8, 8))
    sizes = [7, 13]
    batches = list(zip(torch.split(x, sizes), torch.split(y, sizes)))
    seen = []
    handle = model[1].register_forward_pre_hook(
        lambda m, args: seen.append(args[0].is_contiguous(memory_format=torch.channels_last))
    )
    before = state(model)
    sl = compute.plane(model, F.cross_entropy, batches, grid=4)
    handle.remove()
    assert_same_state(model, before)
    assert seen and seen[-1]  # the loop fed the rest of the model channels-last activations
    ref = plain_losses(model, F.cross_entropy, batches, _grid_points(sl), compute.random_directions(model, seed=0))
    np.testing.assert_allclose(sl.losses.ravel(), ref, atol=1e-5)


class _ViewingCNN(nn.Module):
    """Calls .view() on the conv output, which channels-last activations do not allow."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 8 * 8, 3)

    def forward(self, x):
        z = torch.relu(self.conv(x))
        return self.fc(z.view(z.shape[0], -1))


def test_model_that_views_activations_keeps_the_contiguous_layout():
    model = _ViewingCNN().eval()
    x, y = data(12, (1, 8, 8))
    sl = compute.plane(model, F.cross_entropy, (x, y), grid=4)
    ref = plain_losses(model, F.cross_entropy, [(x, y)], _grid_points(sl), compute.random_directions(model, seed=0))
    np.testing.assert_allclose(sl.losses.ravel(), ref, atol=1e-5)
