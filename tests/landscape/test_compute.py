import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from tb_suite.landscape import compute
from tests.landscape.models import TinyLM, assert_same_state, cnn, data, mlp, state


def plain_losses(model, loss_fn, batches, points, directions, base=None):
    """Reference: set every parameter to base + sum c_i d_i and run the model, no shortcuts."""
    model = copy.deepcopy(model).eval()
    params = dict(model.named_parameters())
    base = base or {n: p.detach().clone() for n, p in params.items()}
    out = []
    with torch.no_grad():
        for c in points:
            for n, p in params.items():
                value = base[n].clone()
                for ci, d in zip(c, directions):
                    if n in d:
                        value += float(ci) * d[n]
                p.copy_(value)
            total = sum(loss_fn(model(x), y).double() * len(x) for x, y in batches)
            out.append(float(total / sum(len(x) for x, _ in batches)))
    return np.array(out)


@pytest.mark.parametrize("make, shape", [(mlp, (12,)), (cnn, (1, 8, 8))])
def test_plane_equals_plain_evaluation_and_vmap(make, shape):
    model = make().eval()
    x, y = data(24, shape)
    sl = compute.plane(model, F.cross_entropy, (x, y), grid=5)
    dirs = compute.random_directions(model, seed=0)
    xx, yy = np.meshgrid(sl.xs, sl.ys)
    ref = plain_losses(model, F.cross_entropy, [(x, y)], np.stack([xx.ravel(), yy.ravel()], 1), dirs)
    np.testing.assert_allclose(sl.losses.ravel(), ref, atol=1e-5)
    vmapped = compute.plane(model, F.cross_entropy, (x, y), grid=5, vectorize=True, chunk=7)
    np.testing.assert_allclose(vmapped.losses, sl.losses, atol=1e-5)
    assert sl.center_loss == pytest.approx(float(F.cross_entropy(model(x), y).detach()), abs=1e-6)


def test_in_place_activation_after_the_first_layer_does_not_corrupt_the_cache():
    model = torch.nn.Sequential(torch.nn.Linear(12, 8), torch.nn.ReLU(inplace=True), torch.nn.Linear(8, 3)).eval()
    x, y = data()
    sl = compute.plane(model, F.cross_entropy, (x, y), grid=5)
    dirs = compute.random_directions(model, seed=0)
    xx, yy = np.meshgrid(sl.xs, sl.ys)
    ref = plain_losses(model, F.cross_entropy, [(x, y)], np.stack([xx.ravel(), yy.ravel()], 1), dirs)
    np.testing.assert_allclose(sl.losses.ravel(), ref, atol=1e-5)


def test_tied_embedding_first_layer_still_moves_the_shared_weight():
    model = TinyLM().eval()
    ids = torch.randint(0, 11, (10, 5), generator=torch.Generator().manual_seed(0))
    y = torch.randint(0, 11, (10,))
    sl = compute.plane(model, F.cross_entropy, (ids, y), grid=3, normalization="layer")
    dirs = compute.random_directions(model, seed=0, normalization="layer")
    xx, yy = np.meshgrid(sl.xs, sl.ys)
    ref = plain_losses(model, F.cross_entropy, [(ids, y)], np.stack([xx.ravel(), yy.ravel()], 1), dirs)
    np.testing.assert_allclose(sl.losses.ravel(), ref, atol=1e-5)


def test_filter_normalization_per_filter():
    model = cnn()
    d1, d2 = compute.random_directions(model, seed=3)
    for name, w in model.named_parameters():
        for d in (d1, d2):
            if w.dim() <= 1:
                assert torch.count_nonzero(d[name]) == 0, name  # ignore="biasbn"
                continue
            for f in range(w.shape[0]):
                assert float(d[name][f].norm()) == pytest.approx(float(w[f].detach().norm()), rel=1e-5), (name, f)
    assert not torch.equal(d1["0.weight"], d2["0.weight"])
    again = compute.random_directions(model, seed=3)
    assert all(torch.equal(again[0][n], d1[n]) for n in d1)


def test_layer_and_model_normalization():
    model = mlp()
    (layer,) = compute.random_directions(model, normalization="layer", ignore=None, count=1)
    for name, w in model.named_parameters():
        assert float(layer[name].norm()) == pytest.approx(float(w.detach().norm()), rel=1e-5)
    (whole,) = compute.random_directions(model, normalization="model", count=1)
    weights = [w.detach() for w in model.parameters() if w.dim() > 1]
    norm = lambda ts: float(torch.sqrt(sum((t.double() ** 2).sum() for t in ts)))  # noqa: E731
    assert norm([whole[n] for n, w in model.named_parameters() if w.dim() > 1]) == pytest.approx(
        norm(weights), rel=1e-5
    )


def test_multi_batch_mean_is_sample_weighted():
    model = mlp().eval()
    x, y = data(16)
    sizes = [3, 5, 8]
    batches = list(zip(torch.split(x, sizes), torch.split(y, sizes)))
    sl = compute.axis(model, F.cross_entropy, batches, params=["3.bias[1]"], bounds=(-0.5, 0.5), n=3)
    by_hand = []
    for offset in (-0.5, 0.0, 0.5):
        moved = copy.deepcopy(model)
        with torch.no_grad():
            moved[3].bias[1] += offset
            losses = [float(F.cross_entropy(moved(bx), by)) for bx, by in batches]
        by_hand.append(sum(loss * n for loss, n in zip(losses, sizes)) / sum(sizes))
    np.testing.assert_allclose(sl.losses[0], by_hand, rtol=1e-6)
    # max_batches takes the first ones only; the unweighted mean of batch means would differ
    two = compute.axis(
        model, F.cross_entropy, iter(batches), params=["3.bias[1]"], bounds=(-0.5, 0.5), n=3, max_batches=2
    )
    with torch.no_grad():
        first_two = float(F.cross_entropy(model(x[:8]), y[:8]))
    assert two.center_loss == pytest.approx(first_two, rel=1e-6)


def test_axis_names_layers_and_flat_indices():
    model = mlp()
    x, y = data()
    sl = compute.axis(model, F.cross_entropy, (x, y), params=["1.weight[3, 7]", 12 * 16 + 2], n=5)
    assert sl.names == ["1.weight[3, 7]", "1.bias[2]"]
    assert sl.layers == ["1", "1"] and sl.kinds == ["Linear", "Linear"]
    assert sl.values[0] == pytest.approx(float(model[1].weight[3, 7].detach()))
    assert sl.losses.shape == (2, 5)
    assert sl.losses[0, 2] == pytest.approx(sl.center_loss, abs=1e-6)


def test_linear_interpolates_parameters_and_batchnorm_buffers():
    start, end = cnn(0), cnn(1)
    x, _ = data(16, (1, 8, 8))
    y = torch.randint(0, 3, (16,))
    end.train()
    with torch.no_grad():
        end(x * 3 + 1)  # give the end point different BatchNorm statistics
    end.eval()
    model = copy.deepcopy(start)
    line = compute.linear(model, F.cross_entropy, (x, y), start=start.state_dict(), end=end, n=5, span=(0, 1))
    with torch.no_grad():
        assert line.losses[0] == pytest.approx(float(F.cross_entropy(start.eval()(x), y)), abs=1e-6)
        assert line.losses[-1] == pytest.approx(float(F.cross_entropy(end(x), y)), abs=1e-5)
        mid = copy.deepcopy(start)
        sd = {
            k: (v + (end.state_dict()[k] - v) * 0.5) if v.is_floating_point() else v
            for k, v in start.state_dict().items()
        }
        mid.load_state_dict(sd)
        assert line.losses[2] == pytest.approx(float(F.cross_entropy(mid.eval()(x), y)), abs=1e-5)


def test_trajectory_projection_recovers_plane_coordinates():
    model = mlp()
    x, y = data()
    d1, d2 = compute.random_directions(model, seed=0)
    checkpoint = {n: p.detach() + 0.3 * d1[n] - 0.2 * d2[n] for n, p in model.named_parameters()}
    sl = compute.plane(model, F.cross_entropy, (x, y), grid=3, trajectory=[model.state_dict(), checkpoint])
    np.testing.assert_allclose(sl.trajectory, [[0, 0], [0.3, -0.2]], atol=1e-5)


def test_model_is_bit_identical_after_each_call_and_after_an_exception():
    model = cnn().train()
    model[0].bias.requires_grad_(False)
    x, y = data(8, (1, 8, 8))
    before = state(model)
    modes = [m.training for m in model.modules()]
    compute.plane(model, F.cross_entropy, (x, y), grid=3)
    compute.axis(model, F.cross_entropy, (x, y), params=["0.weight[1, 0, 2, 2]"], n=3)
    compute.linear(model, F.cross_entropy, (x, y), end=cnn(1), n=3)
    compute.plane(model, F.cross_entropy, (x, y), grid=3, vectorize=True)
    calls = {"n": 0}

    def failing(out, target):
        calls["n"] += 1
        if calls["n"] == 5:
            raise RuntimeError("boom")
        return F.cross_entropy(out, target)

    with pytest.raises(RuntimeError, match="boom"):
        compute.plane(model, failing, (x, y), grid=4)
    assert_same_state(model, before)
    assert [m.training for m in model.modules()] == modes
    assert model[0].bias.requires_grad is False and model[0].weight.requires_grad is True


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda m, d: compute.axis(m, F.cross_entropy, d, params=["1.weight[0, 0]"], bounds=(1, -1)), "bounds"),
        (lambda m, d: compute.plane(m, F.cross_entropy, d, grid=1), "grid"),
        (lambda m, d: compute.plane(m, F.cross_entropy, d, span=(0.5, 0.5)), "span"),
        (lambda m, d: compute.linear(m, F.cross_entropy, d, end=m.state_dict(), n=1), "n must"),
        (lambda m, d: compute.axis(m, F.cross_entropy, d, params=["fc9.weight[0]"]), "params: unknown"),
        (lambda m, d: compute.axis(m, F.cross_entropy, d, params=["1.weight"]), "params: '1.weight' has"),
        (lambda m, d: compute.axis(m, F.cross_entropy, d, params=["1.weight[99, 0]"]), "params: index"),
        (lambda m, d: compute.axis(m, F.cross_entropy, d, params=[10**6]), "params: flat index"),
        (
            lambda m, d: compute.plane(m, lambda o, t: F.cross_entropy(o, t, reduction="none"), d, grid=2),
            "loss_fn must return a scalar",
        ),
        (
            lambda m, d: compute.plane(m, lambda o, t: F.cross_entropy(o, t) * float("nan"), d, grid=2),
            "loss_fn returned nan",
        ),
        (lambda m, d: compute.plane(m, F.cross_entropy, d, normalization="unit"), "normalization"),
        (lambda m, d: compute.plane(m, F.cross_entropy, [], grid=2), "data"),
    ],
)
def test_bad_input_raises_named_errors_and_leaves_the_model(call, match):
    model = mlp()
    before = state(model)
    with pytest.raises(ValueError, match=match):
        call(model, data())
    assert_same_state(model, before)


def test_dict_batches_use_the_models_own_loss():
    class WithLoss(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.net = mlp()

        def forward(self, inputs, labels):
            return {"loss": F.cross_entropy(self.net(inputs), labels)}

    model = WithLoss()
    x, y = data()
    sl = compute.plane(model, None, {"inputs": x, "labels": y}, grid=3)
    ref = compute.plane(model.net, F.cross_entropy, (x, y), grid=3)
    np.testing.assert_allclose(sl.losses, ref.losses, atol=1e-6)
