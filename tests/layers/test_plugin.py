"""The tbs_layers routes served by a real `tensorboard`, under both loaders."""

import numpy as np
import pytest

from tb_suite.core.reader import read_records
from tb_suite.core.wire import decode_wire
from tb_suite.layers import analysis
from tb_suite.layers import metadata as md
from tests.layers.helpers import write_monitored_run
from tests.layers.test_analysis import _brute_rebin

PLUGIN = md.PLUGIN_NAME
STEPS = [0, 3, 6, 9]


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("layers")
    write_monitored_run(root / "a", steps=12, every=3)
    write_monitored_run(root / "b", steps=4, every=3, seed=1, lr=5.0)
    return root


@pytest.mark.parametrize("load_fast", [True, False])
def test_routes(logdir, tensorboard_server, load_fast):
    tb = tensorboard_server(logdir, load_fast=load_fast)
    tags = tb.wait_for_tags(PLUGIN, tab_name="Layers", runs=2)
    assert tags["a"]["layers"]["steps"] == STEPS and tags["b"]["layers"]["steps"] == [0, 3]
    assert tags["a"]["layers"]["meta"] == {"version": 1, "bins": 64}
    stored = read_records(logdir / "a", PLUGIN)["layers"]

    for step in STEPS:
        status, body, _ = tb.get(tb.plugin(PLUGIN, f"record?run=a&tag=layers&step={step}"))
        assert status == 200
        meta, arrays = decode_wire(body)
        assert meta == stored[step][0]
        np.testing.assert_array_equal(arrays[md.STATS_ARRAY], stored[step][1][md.STATS_ARRAY])
        assert "fmap.0" not in arrays  # feature maps only through their own route

    stat = "grad_norm"
    meta, series = decode_wire(tb.get(tb.plugin(PLUGIN, f"series?run=a&tag=layers&stat={stat}"))[1])
    assert meta["layers"] == stored[0][0]["layers"] and series["steps"].tolist() == STEPS
    k = md.STATS.index(stat)
    np.testing.assert_array_equal(series["values"], np.stack([stored[s][1][md.STATS_ARRAY][k] for s in STEPS], axis=1))

    meta, dist = decode_wire(tb.get(tb.plugin(PLUGIN, "distribution?run=a&tag=layers&layer=3&kind=weights&bins=20"))[1])
    i = stored[0][0]["layers"].index("3")
    lo = [float(stored[s][1][md.STATS_ARRAY][md.STATS.index("weight_min")][i]) for s in STEPS]
    hi = [float(stored[s][1][md.STATS_ARRAY][md.STATS.index("weight_max")][i]) for s in STEPS]
    edges = np.linspace(min(lo), max(hi), 21)
    np.testing.assert_allclose(dist["edges"], edges)
    for s, step in enumerate(STEPS):
        hist = stored[step][1]["weight_hist"][i].astype(np.float64)
        np.testing.assert_allclose(dist["hist"][s], hist)
        np.testing.assert_allclose(dist["density"][:, s], _brute_rebin(hist, lo[s], hi[s], edges), atol=1e-6)

    diagnoses = tb.get_json(tb.plugin(PLUGIN, "diagnoses?run=b&tag=layers"))
    stored_b = read_records(logdir / "b", PLUGIN)["layers"]
    expected = analysis.summarize(
        [(s, analysis.decode(a[md.DIAGNOSES_ARRAY], m["layers"], s)) for s, (m, a) in stored_b.items()]
    )
    assert diagnoses["diagnoses"] == expected and diagnoses["steps"] == 2
    assert any(d["kind"] in ("exploding", "nonfinite") for d in expected)  # lr 5 blows up

    meta, fmap = decode_wire(tb.get(tb.plugin(PLUGIN, "feature_map?run=a&tag=layers&step=6&layer=0"))[1])
    np.testing.assert_allclose(fmap["maps"], stored[6][1]["fmap.0"])
    assert fmap["maps"].shape == (4, 8, 8)

    for route, code in [
        ("series?run=a&tag=layers", 400),
        ("series?run=a&tag=layers&stat=bogus", 400),
        ("series?run=zz&tag=layers&stat=grad_norm", 404),
        ("distribution?run=a&tag=layers&layer=nope", 404),
        ("distribution?run=a&tag=layers&layer=0&kind=x", 400),
        ("distribution?run=a&tag=layers&layer=0&bins=0", 400),
        ("distribution?run=a&tag=layers&layer=0&bins=99999", 400),
        ("distribution?run=a&tag=layers", 400),
        ("diagnoses?run=a", 400),
        ("feature_map?run=a&tag=layers&step=6&layer=3", 404),
        ("feature_map?run=a&tag=layers&step=7&layer=0", 404),
        ("feature_map?run=a&tag=layers&step=x&layer=0", 400),
        ("record?run=a&tag=layers&step=-1", 400),
    ]:
        status, body, _ = tb.get(tb.plugin(PLUGIN, route))
        assert status == code, (route, status, body)
        assert b"error" in body


def test_server_side_never_imports_torch():
    import subprocess
    import sys

    code = "import sys, tb_suite.layers.plugin, tb_suite.layers.analysis, tb_suite.entry\nprint('torch' in sys.modules)"
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
        == "False"
    )
