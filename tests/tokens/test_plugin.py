"""The tbs_tokens routes served by a real `tensorboard`, under both loaders."""

import numpy as np
import pytest

from tb_suite.core.reader import read_records
from tb_suite.core.wire import decode_wire
from tests.tokens.helpers import write_lm_run

PLUGIN = "tbs_tokens"
STEPS = list(range(0, 150, 10)) + [1000]


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("tokens")
    write_lm_run(root / "a", STEPS, seed=1)
    write_lm_run(root / "b", STEPS[:3], batch=3, seed=2)
    return root


@pytest.mark.parametrize("load_fast", [True, False])
def test_routes_serve_every_step(logdir, tensorboard_server, load_fast):
    tb = tensorboard_server(logdir, load_fast=load_fast)
    tags = tb.wait_for_tags(PLUGIN, tab_name="Tokens", runs=2)
    assert tags["a"]["lm"]["steps"] == STEPS and tags["b"]["lm"]["steps"] == STEPS[:3]
    assert tags["a"]["lm"]["meta"] == {"version": 1, "k": 5, "vocab_size": 13}

    stored = read_records(logdir / "a", PLUGIN)["lm"]
    for step in STEPS:
        status, body, content_type = tb.get(tb.plugin(PLUGIN, f"record?run=a&tag=lm&step={step}"))
        assert status == 200 and content_type == "application/octet-stream"
        meta, arrays = decode_wire(body)
        assert meta == stored[step][0]
        np.testing.assert_array_equal(arrays["topk_ids"], stored[step][1]["topk_ids"])
        np.testing.assert_array_equal(arrays["loss"], stored[step][1]["loss"])
        assert arrays["topk_probs"].dtype == np.float32  # float16 widened on the wire

    meta, history = decode_wire(tb.get(tb.plugin(PLUGIN, "history?run=a&tag=lm&seq=1&pos=2"))[1])
    assert meta == {"run": "a", "tag": "lm", "seq": 1, "pos": 2, "skipped": []}
    assert history["steps"].tolist() == STEPS
    np.testing.assert_allclose(history["loss"], [stored[s][0]["loss"] for s in STEPS], rtol=1e-6)
    np.testing.assert_allclose(history["seq_loss"][:, 1], [stored[s][0]["seq_loss"][1] for s in STEPS], rtol=1e-6)
    np.testing.assert_allclose(history["entropy"], [stored[s][1]["entropy"][1, 2] for s in STEPS], rtol=1e-6)
    np.testing.assert_allclose(history["target_prob"], [np.exp(-stored[s][1]["loss"][1, 2]) for s in STEPS], rtol=1e-5)
    assert history["target_prob"][-1] > history["target_prob"][0]  # predictions sharpen with the step

    _, summary = decode_wire(tb.get(tb.plugin(PLUGIN, "history?run=b&tag=lm"))[1])
    assert summary["seq_loss"].shape == (3, 3) and "entropy" not in summary

    for route, code in [
        ("record?run=a&tag=lm", 400),
        ("record?run=a&tag=lm&step=x", 400),
        ("record?run=a&tag=lm&step=5", 404),
        ("record?run=zz&tag=lm&step=0", 404),
        ("history?tag=lm", 400),
        ("history?run=a&tag=nope", 404),
        ("history?run=a&tag=lm&seq=-1&pos=0", 400),
    ]:
        status, body, _ = tb.get(tb.plugin(PLUGIN, route))
        assert status == code, (route, status, body)
