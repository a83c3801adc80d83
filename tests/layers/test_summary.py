"""log_layer_stats: records against numpy, and argument checks that write nothing."""

import numpy as np
import pytest
import torch

import tb_suite as tbs
from tb_suite.core.reader import read_records
from tb_suite.layers import analysis
from tb_suite.layers import metadata as md


def test_user_tensors_are_logged(tmp_path):
    rng = np.random.default_rng(0)
    h0 = rng.standard_normal((10, 6)).astype(np.float32)
    h1 = torch.relu(torch.from_numpy(rng.standard_normal((10, 4)).astype(np.float32)))
    h1[:, 2] = 0
    with tbs.Writer(tmp_path) as writer:
        tbs.log_layer_stats(writer, "probe", {"enc.0": h0, "enc.1": h1}, step=3, histogram_bins=8)
        tbs.log_layer_stats(writer, "grads", [("w", torch.full((5,), 1e-12))], step=3, kind="gradients")
    records = read_records(tmp_path, md.PLUGIN_NAME)
    meta, arrays = records["probe"][3]
    assert meta["layers"] == ["enc.0", "enc.1"] and meta["kind"] == "activations" and meta["bins"] == 8
    stats = dict(zip(meta["stats"], arrays[md.STATS_ARRAY]))
    np.testing.assert_allclose(
        stats["act_mean"], [h0.mean(dtype=np.float64), h1.numpy().mean(dtype=np.float64)], rtol=1e-5
    )
    np.testing.assert_allclose(stats["act_dead_frac"], [0, 0.25])
    assert np.isnan(stats["grad_norm"]).all()
    counts, _ = np.histogram(h0, bins=8, range=(h0.min(), h0.max()))
    np.testing.assert_allclose(arrays["act_hist"][0], counts / h0.size, atol=1e-3)
    gmeta, garrays = records["grads"][3]
    flags = analysis.decode(garrays[md.DIAGNOSES_ARRAY], gmeta["layers"], 3)
    assert [(d["kind"], d["message"]) for d in flags] == [("vanishing", "gradient norm 2.24e-12 is below 1e-07")]


@pytest.mark.parametrize(
    "tensors,kwargs,error,match",
    [
        ({}, {}, ValueError, "named_tensors is empty"),
        ({"a": "text"}, {}, TypeError, r"named_tensors\['a'\]"),
        ({"a": np.array(["x", "y"])}, {}, TypeError, r"named_tensors\['a'\]"),
        ({"a": torch.zeros(0, 3)}, {}, ValueError, r"named_tensors\['a'\]"),
        ({"a": torch.tensor(1.0)}, {}, ValueError, r"named_tensors\['a'\]"),
        ({"": torch.ones(2)}, {}, ValueError, "names"),
        ([1, 2], {}, TypeError, "named_tensors"),
        ({"a": torch.ones(2)}, {"kind": "biases"}, ValueError, "kind"),
        ({"a": torch.ones(2)}, {"histogram_bins": 0}, ValueError, "histogram_bins"),
        ({"a": torch.ones(2)}, {"step": -1}, ValueError, "step"),
    ],
)
def test_bad_input_writes_nothing(tmp_path, tensors, kwargs, error, match):
    kwargs = {"step": 0, **kwargs}
    with pytest.raises(error, match=match):
        tbs.log_layer_stats(tbs.Writer(tmp_path), "t", tensors, **kwargs)
    assert not list(tmp_path.iterdir())
