"""The Landscape plugin served by a real `tensorboard`, under both loaders."""

import json

import numpy as np
import pytest

import tb_suite as tbs
from tb_suite.core.wire import decode_wire
from tb_suite.landscape.slices import AxisSlices, LineSlice, PlaneSlice
from tests.conftest import wait_for

PLUGIN = "tbs_landscape"
STEPS = (0, 5, 10, 15)


def plane_at(step: int, grid: int = 25) -> PlaneSlice:
    xs = np.linspace(-1, 1, grid)
    xx, yy = np.meshgrid(xs, xs)
    losses = (1 + step / 10) * (xx**2 + 2 * yy**2) + 0.1
    return PlaneSlice(xs, xs.copy(), losses, seed=0, trajectory=np.array([[0.5, 0.5], [0.0, 0.0]]), center_loss=0.1)


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("logs")
    for run in ("a", "b"):
        with tbs.Writer(root / run) as writer:
            for step in STEPS:
                tbs.log_slice(writer, "plane", plane_at(step), step=step)
                alphas = np.linspace(-0.5, 1.5, 21)
                tbs.log_slice(writer, "line", LineSlice(alphas, (alphas - 1) ** 2 + step), step=step)
                offsets = np.linspace(-1, 1, 11)
                tbs.log_slice(
                    writer,
                    "axes",
                    AxisSlices(
                        ["fc.weight[0, 0]", "fc.bias[1]"],
                        ["fc", "fc"],
                        ["Linear", "Linear"],
                        np.array([0.1, -0.2]),
                        offsets,
                        np.stack([offsets**2, np.abs(offsets)]) + step,
                        center_loss=float(step),
                    ),
                    step=step,
                )
    return root


@pytest.mark.parametrize("load_fast", [True, False])
def test_routes_serve_every_step_of_every_slice_type(logdir, tensorboard_server, load_fast):
    tb = tensorboard_server(logdir, load_fast=load_fast)
    tags = tb.wait_for_tags(PLUGIN, tab_name="Landscape", runs=2)
    for run in ("a", "b"):
        assert {tag: v["steps"] for tag, v in tags[run].items()} == {t: list(STEPS) for t in ("plane", "line", "axes")}
        assert tags[run]["plane"]["meta"]["type"] == "plane"
        assert tags[run]["axes"]["meta"]["type"] == "axis"

    meta, arrays = decode_wire(tb.get(tb.plugin(PLUGIN, "record?run=b&tag=plane&step=10"))[1])
    assert meta["type"] == "plane" and meta["normalization"] == "filter" and meta["seed"] == 0
    np.testing.assert_allclose(arrays["loss"], plane_at(10).losses, rtol=1e-6)
    assert arrays["loss"].shape == (25, 25) and arrays["x"].shape == (25,) and arrays["trajectory"].shape == (2, 2)

    meta, arrays = decode_wire(tb.get(tb.plugin(PLUGIN, "record?run=a&tag=axes&step=5"))[1])
    assert meta["names"] == ["fc.weight[0, 0]", "fc.bias[1]"] and meta["kinds"] == ["Linear", "Linear"]
    assert arrays["loss"].shape == (2, 11) and arrays["loss"][0, 5] == pytest.approx(5.0)

    meta, arrays = decode_wire(tb.get(tb.plugin(PLUGIN, "record?run=a&tag=line&step=15&arrays=loss"))[1])
    assert meta["start"] == 0.0 and meta["end"] == 1.0 and set(arrays) == {"loss"}

    steps = tb.get_json(tb.plugin(PLUGIN, "steps?run=a&tag=plane"))
    assert [r["step"] for r in steps] == list(STEPS)
    assert steps[2] == {
        "step": 10,
        "type": "plane",
        "min": pytest.approx(0.1),
        "max": pytest.approx(6.1),
        "center_loss": pytest.approx(0.1),
    }


BAD_QUERIES = [
    ("steps", 400),
    ("steps?run=a", 400),
    ("steps?run=zz&tag=plane", 404),
    ("steps?run=a&tag=zz", 404),
    ("record?run=a&tag=plane&step=3", 404),
    ("record?run=a&tag=plane", 400),
    ("record?run=a&tag=plane&step=x", 400),
]


def test_bad_queries_answer_400_or_404(logdir, tensorboard_server):
    tb = tensorboard_server(logdir)
    wait_for(lambda: tb.get_json(tb.plugin(PLUGIN, "tags")).get("a"), timeout=60)
    for route, code in BAD_QUERIES:
        status, body, _ = tb.get(tb.plugin(PLUGIN, route))
        assert status == code and "error" in json.loads(body), route
