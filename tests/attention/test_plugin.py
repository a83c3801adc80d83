"""The attention routes, served by a real `tensorboard` under both loaders."""

import json

import numpy as np
import pytest

import tb_suite as tbs
from tb_suite.core.wire import decode_wire
from tests.conftest import wait_for

from .helpers import softmax_attention

STEPS = 200
L, H, S = 2, 3, 6


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("attention")
    weights = softmax_attention((STEPS, L, 2, H, S, S), seed=5)
    tokens = [["<img src=x onerror=alert(1)>", *[f"w{i}" for i in range(1, S)]], [f"v{i}" for i in range(S)]]
    mask = np.ones((2, S))
    mask[1, 4:] = 0
    with tbs.Writer(root / "run_a") as writer:
        for step in range(STEPS):
            tbs.log_attention(writer, "enc", weights[step], tokens=tokens, mask=mask, step=step)
            tbs.log_head_stats(
                writer,
                "heads",
                step=step,
                entropy=np.full((L, H), step / 100.0),
                mask=np.eye(L, H) if step % 2 else None,
            )
        tbs.log_attention(
            writer, "long", softmax_attention((1, 1, 1, 600, 600), seed=6), tokens=[f"t{i}" for i in range(600)], step=0
        )
    return root, weights


@pytest.mark.parametrize("load_fast", [True, False])
def test_routes_under_both_loaders(tensorboard_server, logdir, load_fast):
    root, weights = logdir
    tb = tensorboard_server(root, load_fast=load_fast)
    route = lambda path: tb.plugin("tbs_attention", path)  # noqa: E731
    tags = wait_for(
        lambda: (lambda t: t if len(t.get("run_a", {}).get("enc", {}).get("steps", [])) == STEPS else None)(
            tb.get_json(route("tags"))
        ),
        timeout=120,
    )
    assert tags["run_a"]["enc"]["meta"]["kind"] == "attention"
    assert tags["run_a"]["heads"]["meta"]["kind"] == "head_stats"
    assert tags["run_a"]["heads"]["steps"] == list(range(STEPS))

    # Every one of the 200 steps is readable.
    for step in range(0, STEPS, 7):
        status, body, _ = tb.get(route(f"map?run=run_a&tag=enc&step={step}&example=0&layer=1&head=2"))
        assert status == 200
        meta, arrays = decode_wire(body)
        np.testing.assert_allclose(arrays["weights"], weights[step, 1, 0, 2], atol=1 / 255)

    example = tb.get_json(route("example?run=run_a&tag=enc&step=3&example=1"))
    assert example["query_tokens"] == ["v0", "v1", "v2", "v3"] and example["layers"] == L
    assert (
        tb.get_json(route("example?run=run_a&tag=enc&step=3&example=0"))["query_tokens"][0]
        == "<img src=x onerror=alert(1)>"
    )

    _, layer = decode_wire(tb.get(route("map?run=run_a&tag=enc&step=9&example=1&view=layer&layer=0"))[1])
    np.testing.assert_allclose(layer["weights"], weights[9, 0, 1, :, :4, :4].mean(0), atol=1 / 255)
    _, flow = decode_wire(tb.get(route("map?run=run_a&tag=enc&step=9&example=0&view=rollout"))[1])
    np.testing.assert_allclose(flow["weights"].sum(-1), 1, atol=0.02)

    _, grid = decode_wire(tb.get(route("grid?run=run_a&tag=enc&step=4&example=0"))[1])
    np.testing.assert_allclose(grid["thumbs"], weights[4, :, 0], atol=1 / 255)

    # Long input: a zoomed region at full resolution, the whole map downsampled, thumbnails precomputed.
    meta, full = decode_wire(tb.get(route("map?run=run_a&tag=long&step=0&layer=0&head=0&size=300"))[1])
    assert full["weights"].shape == (300, 300) and meta["stride_q"] == 2
    meta, zoom = decode_wire(tb.get(route("map?run=run_a&tag=long&step=0&layer=0&head=0&q0=100&q1=150&k0=0&k1=600"))[1])
    assert zoom["weights"].shape == (50, 300) and (meta["stride_q"], meta["stride_k"]) == (1, 2)
    _, long_grid = decode_wire(tb.get(route("grid?run=run_a&tag=long&step=0&size=32"))[1])
    assert long_grid["thumbs"].shape == (1, 1, 30, 30)  # from the stored 60 x 60 thumbnails

    meta, stats = decode_wire(tb.get(route("head_stats?run=run_a&tag=heads"))[1])
    assert meta["stats"] == ["entropy", "mask"]
    assert stats["steps"].tolist() == list(range(STEPS))
    np.testing.assert_allclose(stats["entropy"][:, 0, 0], np.arange(STEPS) / 100.0, rtol=1e-6)
    assert np.isnan(stats["mask"][0]).all() and stats["mask"][1].tolist() == np.eye(L, H).tolist()

    for bad, code in [
        ("map?run=run_a&tag=enc&step=0&layer=0", 400),  # no head
        ("map?run=run_a&tag=enc&step=0&layer=0&head=x", 400),
        ("map?run=run_a&tag=enc&step=0&layer=0&head=0&view=nope", 400),
        ("map?run=run_a&tag=enc&step=0&layer=0&head=0&q0=5&q1=2", 400),
        ("map?run=run_a&tag=enc&step=0&layer=9&head=0", 404),
        ("map?run=run_a&tag=enc&step=0&layer=0&head=9", 404),
        ("map?run=run_a&tag=enc&step=999&layer=0&head=0", 404),
        ("map?run=run_a&tag=enc&step=0&example=7&layer=0&head=0", 404),
        ("map?run=nope&tag=enc&step=0&layer=0&head=0", 404),
        ("head_stats?run=run_a&tag=enc", 400),
        ("grid?run=run_a&tag=heads&step=0", 400),
    ]:
        status, body, _ = tb.get(route(bad))
        assert status == code, (bad, status, body)
        assert "error" in json.loads(body)


def test_the_server_side_never_imports_torch():
    import subprocess
    import sys

    code = "import sys, tb_suite.entry, tb_suite.attention.plugin, tb_suite.attention.summary; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
