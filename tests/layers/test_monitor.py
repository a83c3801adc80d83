"""LayerMonitor on real torch models: statistics against numpy, bit-identical training, hooks, diagnoses."""

import copy

import numpy as np
import pytest
import torch

import tb_suite as tbs
from tb_suite.core.reader import read_records
from tb_suite.layers import analysis
from tb_suite.layers import metadata as md
from tests.layers.helpers import deep_sigmoid_mlp, small_cnn, train


def _records(logdir, tag="layers"):
    return read_records(logdir, md.PLUGIN_NAME)[tag]


def _flags(record):
    meta, arrays = record
    return analysis.decode(arrays[md.DIAGNOSES_ARRAY], meta["layers"], 0)


def _row(meta, arrays, stat):
    return arrays[md.STATS_ARRAY][meta["stats"].index(stat)]


def _all_hooks(model):
    return sum(len(m._forward_hooks) + len(m._backward_hooks) + len(m._forward_pre_hooks) for m in model.modules())


def test_statistics_match_numpy(tmp_path):
    torch.manual_seed(0)
    model = small_cnn()
    captured = {}
    for name, module in model.named_modules():
        if name:
            module.register_forward_hook(lambda m, i, o, name=name: captured.__setitem__(name, o.detach().clone()))
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    with tbs.Writer(tmp_path) as writer, tbs.LayerMonitor(model, writer, every=10, histogram_bins=32) as monitor:
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        x = torch.randn(5, 1, 8, 8)
        model(x).pow(2).mean().backward()
        grads = {n: p.grad.detach().clone() for n, p in model.named_parameters()}
        optimizer.step()
        monitor.step(0)
    meta, arrays = _records(tmp_path)[0]
    # Default selection: modules with parameters and activation modules, model order.
    assert meta["layers"] == ["0", "1", "3", "4", "6"] and meta["types"] == [
        "Conv2d",
        "ReLU",
        "Conv2d",
        "ReLU",
        "Linear",
    ]
    params = dict(model.named_parameters())
    for i, name in enumerate(meta["layers"]):
        out = captured[name].numpy().astype(np.float64)
        np.testing.assert_allclose(_row(meta, arrays, "act_mean")[i], out.mean(), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(_row(meta, arrays, "act_std")[i], out.std(), rtol=1e-5)
        np.testing.assert_allclose(_row(meta, arrays, "act_min")[i], out.min(), rtol=1e-6)
        np.testing.assert_allclose(_row(meta, arrays, "act_zero_frac")[i], (out == 0).mean(), rtol=1e-6)
        dead = (~(out != 0).any(axis=(0, 2, 3))).mean() if out.ndim == 4 else (~(out != 0).any(axis=0)).mean()
        np.testing.assert_allclose(_row(meta, arrays, "act_dead_frac")[i], dead, rtol=1e-6, atol=1e-7)
        counts, _ = np.histogram(out, bins=32, range=(out.min(), out.max()))
        assert np.abs(arrays["act_hist"][i] - counts / out.size).max() <= 2e-3 + 2 / out.size  # float16 storage
        own = [p for n, p in params.items() if n.rsplit(".", 1)[0] == name]
        if not own:
            assert np.isnan(_row(meta, arrays, "grad_norm")[i]) and np.isnan(_row(meta, arrays, "update_ratio")[i])
            continue
        g = np.concatenate([grads[n].numpy().ravel() for n in params if n.rsplit(".", 1)[0] == name]).astype(np.float64)
        w = np.concatenate([params[n].detach().numpy().ravel() for n in params if n.rsplit(".", 1)[0] == name]).astype(
            np.float64
        )
        w0 = np.concatenate([before[n].numpy().ravel() for n in params if n.rsplit(".", 1)[0] == name]).astype(
            np.float64
        )
        np.testing.assert_allclose(_row(meta, arrays, "grad_norm")[i], np.linalg.norm(g), rtol=1e-5)
        np.testing.assert_allclose(_row(meta, arrays, "grad_mean_abs")[i], np.abs(g).mean(), rtol=1e-5)
        np.testing.assert_allclose(_row(meta, arrays, "grad_max_abs")[i], np.abs(g).max(), rtol=1e-6)
        np.testing.assert_allclose(_row(meta, arrays, "weight_norm")[i], np.linalg.norm(w), rtol=1e-5)
        np.testing.assert_allclose(_row(meta, arrays, "weight_std")[i], w.std(), rtol=1e-5)
        np.testing.assert_allclose(
            _row(meta, arrays, "update_ratio")[i], np.linalg.norm(w - w0) / np.linalg.norm(w), rtol=1e-4
        )
    ratios = dict(
        zip(
            [
                f"{meta['layers'][l]}.{n}"
                for l, n in zip(arrays[md.PARAM_LAYER], md.split_names(arrays[md.PARAM_NAMES]))
            ],
            arrays[md.PARAM_UPDATE_RATIO],
        )
    )
    for name, p in params.items():
        delta = (p.detach() - before[name]).numpy().astype(np.float64)
        np.testing.assert_allclose(ratios[name], np.linalg.norm(delta) / np.linalg.norm(p.detach().numpy()), rtol=1e-4)


def test_training_is_bit_identical_and_hooks_are_removed(tmp_path):
    torch.manual_seed(1)
    plain = small_cnn()
    watched = copy.deepcopy(plain)
    with tbs.Writer(tmp_path) as writer:
        monitor = tbs.LayerMonitor(watched, writer, every=3, feature_maps=["0"], check_nonfinite=True)
        assert _all_hooks(watched) > 0
        reference = train(plain, 7)
        monitored = train(watched, 7, monitor=monitor)
        monitor.close()
    assert _all_hooks(watched) == 0
    for (out_a, grads_a), (out_b, grads_b) in zip(reference, monitored):
        assert torch.equal(out_a, out_b)
        assert all(torch.equal(a, b) for a, b in zip(grads_a, grads_b))
    assert sorted(_records(tmp_path)) == [0, 3, 6]


def test_no_hooks_between_logged_steps_and_attach(tmp_path):
    model = small_cnn()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    with tbs.Writer(tmp_path) as writer:
        monitor = tbs.LayerMonitor(model, writer, every=4).attach(optimizer)
        hooks = []
        for _ in range(9):
            optimizer.zero_grad()
            model(torch.randn(2, 1, 8, 8)).sum().backward()
            optimizer.step()
            hooks.append(_all_hooks(model) > 0)
        monitor.close()
        assert not optimizer._optimizer_step_post_hooks and _all_hooks(model) == 0
    # Hooks are installed only for the step before each logged one (3, 7: the coming steps 4 and 8).
    assert hooks == [False, False, False, True, False, False, False, True, False]
    records = _records(tmp_path)
    assert sorted(records) == [0, 4, 8]
    assert all(np.isfinite(_row(*records[s], "act_mean")).all() for s in records)


def test_one_device_to_host_copy_per_logged_step(tmp_path, monkeypatch):
    model = small_cnn()
    calls = []
    original = torch.Tensor.cpu

    def counting_cpu(self, *args, **kwargs):
        calls.append(tuple(self.shape))
        return original(self, *args, **kwargs)

    with tbs.Writer(tmp_path) as writer, tbs.LayerMonitor(model, writer, every=2) as monitor:
        model(torch.randn(3, 1, 8, 8)).sum().backward()
        monkeypatch.setattr(torch.Tensor, "cpu", counting_cpu)
        monitor.step(0)
        monkeypatch.setattr(torch.Tensor, "cpu", original)
    assert len(calls) == 1


def test_deep_sigmoid_mlp_is_flagged_as_vanishing(tmp_path):
    torch.manual_seed(0)
    model = deep_sigmoid_mlp()
    with tbs.Writer(tmp_path) as writer, tbs.LayerMonitor(model, writer, every=5) as monitor:
        train(model, 1, monitor=monitor, shape=(16, 8), classes=1)
    vanishing = {d["name"] for d in _flags(_records(tmp_path)[0]) if d["kind"] == "vanishing"}
    assert "0" in vanishing and "2" in vanishing  # the first layers, far from the loss
    assert str(len(model) - 1) not in vanishing  # the output layer learns


def test_too_high_learning_rate_is_flagged_as_exploding(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1))
    with tbs.Writer(tmp_path) as writer, tbs.LayerMonitor(model, writer, every=1) as monitor:
        train(model, 8, monitor=monitor, shape=(16, 8), classes=1, lr=5.0)
    kinds = {d["kind"] for record in _records(tmp_path).values() for d in _flags(record)}
    assert "exploding" in kinds


class _NaNAt(torch.nn.Module):
    """Identity, but with `trigger` set its output (forward) or its input's gradient (backward) is NaN."""

    def __init__(self):
        super().__init__()
        self.trigger = None

    def forward(self, x):
        if self.trigger == "forward":
            return x * float("nan")
        if self.trigger == "backward":
            return _NaNGrad.apply(x)
        return x


class _NaNGrad(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, grad):
        return grad * float("nan")


def _nan_model():
    return torch.nn.Sequential(
        torch.nn.Linear(4, 8), torch.nn.Tanh(), _NaNAt(), torch.nn.Linear(8, 8), torch.nn.Linear(8, 1)
    )


@pytest.mark.parametrize("check", [True, False])
def test_nan_in_one_module_is_reported_in_that_module(tmp_path, check):
    model = _nan_model()
    watched = ["0", "1", "2", "3", "4"]
    with (
        tbs.Writer(tmp_path) as writer,
        tbs.LayerMonitor(model, writer, every=5, layers=watched, check_nonfinite=check) as monitor,
    ):
        for step in range(7):
            model[2].trigger = "forward" if step == 3 else None
            model(torch.randn(4, 4)).sum().backward()
            monitor.step(step)
            model.zero_grad()
    records = _records(tmp_path)
    first = records[max(records)][0]["first_nonfinite"]
    if check:  # found at the step it happened, though step 3 is not a logged one
        assert sorted(records) == [0, 3, 5]
        assert first == {"step": 3, "layer": 2, "name": "2", "pass": "forward"}
        assert any(d["kind"] == "nonfinite" and d["name"] == "2" for d in _flags(records[3]))
    else:
        assert sorted(records) == [0, 5] and first is None


def test_nan_in_backward_is_reported_where_it_enters(tmp_path):
    model = _nan_model()
    model[2].trigger = "backward"
    with tbs.Writer(tmp_path) as writer, tbs.LayerMonitor(model, writer, every=10) as monitor:
        model(torch.randn(4, 4)).sum().backward()
        monitor.step(0)
    first = _records(tmp_path)[0][0]["first_nonfinite"]
    # Linear 3 and 4 get finite gradients; the NaN enters at module 2's input, so Linear 0 is the first
    # module with NaN gradients in backward order.
    assert first == {"step": 0, "layer": 0, "name": "0", "pass": "backward"}


def test_bf16_autocast_on_cpu(tmp_path):
    torch.manual_seed(0)
    model = small_cnn()
    captured = {}
    model[1].register_forward_hook(lambda m, i, o: captured.__setitem__("relu", o.detach().float().clone()))
    with tbs.Writer(tmp_path) as writer, tbs.LayerMonitor(model, writer, every=10) as monitor:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out = model(torch.randn(4, 1, 8, 8))
        assert captured["relu"].dtype == torch.float32 and out.dtype == torch.bfloat16
        out.float().sum().backward()
        monitor.step(0)
    meta, arrays = _records(tmp_path)[0]
    relu = captured["relu"].numpy().astype(np.float64)
    np.testing.assert_allclose(_row(meta, arrays, "act_mean")[1], relu.mean(), rtol=1e-5)
    assert np.isfinite(_row(meta, arrays, "grad_norm")[[0, 2, 4]]).all()


def test_feature_maps_are_stored(tmp_path):
    model = small_cnn()
    captured = {}
    model[0].register_forward_hook(lambda m, i, o: captured.__setitem__("conv", o.detach().clone()))
    with tbs.Writer(tmp_path) as writer, tbs.LayerMonitor(model, writer, every=10, feature_maps=["0", "3"]) as monitor:
        model(torch.randn(2, 1, 8, 8)).sum().backward()
        monitor.step(0)
    meta, arrays = _records(tmp_path)[0]
    assert [f["layer"] for f in meta["feature_maps"]] == ["0", "3"]
    assert arrays["fmap.0"].shape == (4, 8, 8) and arrays["fmap.1"].shape == (6, 4, 4)
    np.testing.assert_allclose(arrays["fmap.0"], captured["conv"][0].numpy(), rtol=1e-3, atol=1e-3)  # float16


def test_layer_selection():
    model = small_cnn()
    assert [n for n, _ in tbs.layers.select_layers(model, "0")] == ["0"]
    assert [n for n, _ in tbs.layers.select_layers(model, torch.nn.Conv2d)] == ["0", "3"]
    assert [n for n, _ in tbs.layers.select_layers(model, ["[06]", torch.nn.ReLU])] == ["0", "1", "4", "6"]
    assert [n for n, _ in tbs.layers.select_layers(model, lambda name, m: name.isdigit() and int(name) > 4)] == [
        "5",
        "6",
    ]
    big = torch.nn.Sequential(*[torch.nn.Linear(2, 2) for _ in range(1200)])
    assert len(tbs.layers.select_layers(big)) == 1200


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"layers": ["0", "nope"]}, ValueError, "layers.*nope"),
        ({"layers": "enc*"}, ValueError, "layers.*enc"),
        ({"every": 0}, ValueError, "every"),
        ({"every": -5}, ValueError, "every"),
        ({"histogram_bins": 1}, ValueError, "histogram_bins"),
        ({"feature_maps": ["conv9"]}, ValueError, "feature_maps"),
        ({"tag": ""}, ValueError, "tag"),
    ],
)
def test_bad_arguments_raise_before_anything_is_written(tmp_path, kwargs, error, match):
    model = small_cnn()
    with pytest.raises(error, match=match):
        tbs.LayerMonitor(model, tbs.Writer(tmp_path), **kwargs)
    assert _all_hooks(model) == 0 and not list(tmp_path.iterdir())


def test_model_without_parameters_is_refused(tmp_path):
    with pytest.raises(ValueError, match="model has no parameters"):
        tbs.LayerMonitor(torch.nn.Sequential(torch.nn.ReLU()), tbs.Writer(tmp_path))
    with pytest.raises(TypeError, match="model"):
        tbs.LayerMonitor("not a model", tbs.Writer(tmp_path))
    assert not list(tmp_path.iterdir())


def test_gradients_are_the_accumulated_ones(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with tbs.Writer(tmp_path) as writer, tbs.LayerMonitor(model, writer, every=5) as monitor:
        for _ in range(3):  # three micro-batches, one optimizer step
            model(torch.randn(2, 4)).sum().backward()
        accumulated = torch.cat([p.grad.ravel() for p in model.parameters()]).double().norm().item()
        optimizer.step()
        monitor.step(0)
    meta, arrays = _records(tmp_path)[0]
    np.testing.assert_allclose(_row(meta, arrays, "grad_norm")[0], accumulated, rtol=1e-6)


def test_a_model_of_a_thousand_layers(tmp_path):
    model = torch.nn.Sequential(*[torch.nn.Linear(2, 2) for _ in range(1000)])
    with tbs.Writer(tmp_path) as writer, tbs.LayerMonitor(model, writer, every=10) as monitor:
        model(torch.randn(3, 2)).sum().backward()
        monitor.step(0)
    meta, arrays = _records(tmp_path)[0]
    assert len(meta["layers"]) == 1000 and arrays[md.STATS_ARRAY].shape == (len(md.STATS), 1000)
    assert np.isfinite(_row(meta, arrays, "weight_norm")).all() and np.isfinite(_row(meta, arrays, "act_std")).all()
    assert _all_hooks(model) == 0
