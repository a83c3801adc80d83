"""A logdir given as a `file://` URL: written through fsspec, read back with `read_records`, through the sidecar
range reader and through the plugin routes of a real TensorBoard. Only `--load_fast=false`: TensorBoard's Rust
data server refuses the URL ("unknown protocol "file" in logdir"), and stays refused here."""

import os

import numpy as np
import pytest

import tb_suite as tbs
from tb_suite.attention import metadata as attention_md
from tb_suite.core import paths, sidecar
from tb_suite.core.reader import read_records
from tb_suite.core.wire import decode_wire
from tb_suite.core.writer import INLINE_LIMIT
from tests.attention.helpers import softmax_attention
from tests.conftest import wait_for
from tests.helpers import accumulator, stored_inline

L, H, S = 2, 3, 40  # f16 maps of 2 x 3 x 40 x 40: 19 KB, beyond the inline limit
TOKENS = [f"t{i}" for i in range(S)]


@pytest.fixture(scope="module")
def url_logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("url_logdir")
    url = root.as_uri()
    assert url.startswith("file:///")
    big = softmax_attention((L, 1, H, S, S), seed=1)
    small = softmax_attention((1, 1, 1, 4, 4), seed=2)
    exact_large = np.random.default_rng(3).normal(size=INLINE_LIMIT)
    with tbs.Writer(paths.join(url, "run_a")) as writer:
        tbs.log_attention(writer, "big", big, tokens=TOKENS, step=3, precision="f16")
        tbs.log_attention(writer, "small", small, tokens=TOKENS[:4], step=5)
        writer.write_record("tbs_x", "exact", 0, {"m": 1}, {"a": np.arange(3.0)}, content={})
        writer.write_record("tbs_x", "exact", 1, {"m": 2}, {"a": exact_large}, content={})
    return root, url, big, small, exact_large


def test_url_logdir_is_written_inline_and_in_sidecars(url_logdir):
    root, url, *_ = url_logdir
    run_url = paths.join(url, "run_a")
    acc = accumulator(run_url)  # TensorBoard's own reader, given the URL
    assert stored_inline(acc, "small", 5) and stored_inline(acc, "exact", 0)
    assert not stored_inline(acc, "big", 3) and not stored_inline(acc, "exact", 1)
    assert os.listdir(root / "run_a" / "plugins" / attention_md.PLUGIN_NAME)[0].endswith(".tbs")


def test_read_records_from_a_url(url_logdir):
    _, url, big, small, exact_large = url_logdir
    run_url = paths.join(url, "run_a")
    exact = read_records(run_url, "tbs_x")["exact"]
    assert exact[0][0] == {"m": 1} and exact[1][0] == {"m": 2}
    np.testing.assert_array_equal(exact[0][1]["a"], np.arange(3.0))
    np.testing.assert_array_equal(exact[1][1]["a"], exact_large)

    records = read_records(run_url, attention_md.PLUGIN_NAME)
    stored = records["big"][3][1][attention_md.attention_array(0)]
    assert stored.shape == (L, H, S, S)
    # precision="f16" stores float16: the oracle is the logged weights rounded to it.
    np.testing.assert_array_equal(stored, big[:, 0].astype(np.float16).astype(np.float32))
    small_stored = records["small"][5][1][attention_md.attention_array(0)]
    lo, hi = small[:, 0].min(-1, keepdims=True), small[:, 0].max(-1, keepdims=True)
    assert np.all(np.abs(small_stored - small[:, 0]) <= (hi - lo) / 255 + 1e-7)  # u8: 1/255 of each row's range


def test_sidecar_ranges_of_a_url_equal_the_files_bytes(url_logdir):
    root, url, *_ = url_logdir
    folder = root / "run_a" / "plugins" / attention_md.PLUGIN_NAME
    (name,) = os.listdir(folder)
    data = (folder / name).read_bytes()
    ranges = [(0, 8), (100, 1000), (len(data) - 5, 5), (7, 0)]
    file_url = paths.join(url, "run_a", "plugins", attention_md.PLUGIN_NAME, name)
    assert sidecar.read_ranges(file_url, ranges) == [data[o : o + n] for o, n in ranges]
    assert sidecar.read_ranges(file_url, ranges) == sidecar.read_ranges(str(folder / name), ranges)
    with pytest.raises(sidecar.SidecarError, match="truncated"):
        sidecar.read_ranges(file_url, [(len(data) - 5, 6)])
    with pytest.raises(sidecar.SidecarError, match="unreadable"):
        sidecar.read_ranges(file_url + ".missing", [(0, 1)])
    with pytest.raises(sidecar.SidecarError, match="cannot be read"):
        sidecar.read_ranges("nosuchprotocol://bucket/f.tbs", [(0, 1)])


def test_url_join_drops_the_logdir_run_dot():
    assert paths.join("gs://b/logs/", ".", "plugins", "f") == "gs://b/logs/plugins/f"
    assert paths.join("/tmp/logs", ".", "f") == os.path.join("/tmp/logs", ".", "f")


def test_plugin_routes_under_a_url_logdir(tensorboard_server, url_logdir):
    _, url, big, _, _ = url_logdir
    tb = tensorboard_server(url, load_fast=False)
    route = lambda path: tb.plugin(attention_md.PLUGIN_NAME, path)  # noqa: E731
    tags = wait_for(lambda: (t := tb.get_json(route("tags"))).get("run_a", {}).keys() >= {"big", "small"} and t)
    assert tags["run_a"]["big"]["steps"] == [3] and tags["run_a"]["small"]["steps"] == [5]
    assert tb.get_json(route("example?run=run_a&tag=big&step=3"))["query_tokens"] == TOKENS

    stored = big[:, 0].astype(np.float16).astype(np.float32)  # [L, H, S, S]
    for layer, head in [(0, 0), (1, 2)]:  # one head: a slice read of the sidecar
        status, body, _ = tb.get(route(f"map?run=run_a&tag=big&step=3&layer={layer}&head={head}&size={S}"))
        assert status == 200, body[:300]
        meta, arrays = decode_wire(body)
        assert meta["shape"] == [S, S] and (meta["stride_q"], meta["stride_k"]) == (1, 1)
        np.testing.assert_array_equal(arrays["weights"], stored[layer, head])
    status, body, _ = tb.get(route(f"map?run=run_a&tag=big&step=3&view=layer&layer=1&size={S}"))
    assert status == 200, body[:300]
    np.testing.assert_allclose(decode_wire(body)[1]["weights"], stored[1].astype(np.float64).mean(0), atol=1e-7)
    status, body, _ = tb.get(route(f"map?run=run_a&tag=big&step=3&view=rollout&size={S}"))
    assert status == 200, body[:300]
    rollout = read_records(paths.join(url, "run_a"), attention_md.PLUGIN_NAME)["big"][3][1]
    np.testing.assert_array_equal(decode_wire(body)[1]["weights"], rollout[attention_md.rollout_array(0)])
    status, body, _ = tb.get(route("map?run=run_a&tag=small&step=5&layer=0&head=0"))
    assert status == 200, body[:300]
    small_stored = read_records(paths.join(url, "run_a"), attention_md.PLUGIN_NAME)["small"][5][1]
    np.testing.assert_array_equal(decode_wire(body)[1]["weights"], small_stored[attention_md.attention_array(0)][0, 0])
