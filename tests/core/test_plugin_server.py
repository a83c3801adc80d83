"""The plugin base served by a real `tensorboard`, under both loaders, with no flags."""

import json
import time
import urllib.parse

import numpy as np
import pytest

import tb_suite as tbs
from tb_suite.core.wire import decode_wire
from tb_suite.core.writer import INLINE_LIMIT
from tests.conftest import wait_for

PLUGIN = "tbs_predictions"
STEPS = 160


def _record(step: int, classes: int):
    confusion = np.full((classes, classes), step, np.int64)
    return {"kind": "labels", "num_classes": classes, "class_names": [f"c{i}" for i in range(classes)]}, {
        "confusion": confusion
    }


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("logs")
    for run, classes in (("small", 3), ("large", 40)):  # 40x40 int64 exceeds INLINE_LIMIT: sidecar
        with tbs.Writer(root / run) as writer:
            for step in range(STEPS):
                meta, arrays = _record(step, classes)
                writer.write_record(PLUGIN, "val", step, meta, arrays, content={"kind": "labels"})
    assert 40 * 40 * 8 > INLINE_LIMIT
    return root


@pytest.mark.parametrize("load_fast", [True, False])
def test_every_step_is_served_without_flags(logdir, tensorboard_server, load_fast):
    tb = tensorboard_server(logdir, load_fast=load_fast)
    tags = tb.wait_for_tags(PLUGIN, tab_name="Predictions", runs=2)
    for run in ("small", "large"):
        assert tags[run]["val"]["steps"] == list(range(STEPS))
        assert tags[run]["val"]["meta"] == {"version": 1, "kind": "labels"}
    for run, classes in (("small", 3), ("large", 40)):
        for step in (0, 77, STEPS - 1):
            status, body, content_type = tb.get(tb.plugin(PLUGIN, f"record?run={run}&tag=val&step={step}"))
            assert status == 200 and content_type == "application/octet-stream"
            meta, arrays = decode_wire(body)
            assert meta["num_classes"] == classes
            np.testing.assert_array_equal(arrays["confusion"], np.full((classes, classes), step))
    # Sidecar files are neither read as event files nor make their folders runs.
    assert sorted(tb.get_json("/data/runs")) == ["large", "small"]
    assert "Read error" not in tb.log() and "tbs-payloads" not in tb.log()


def test_frontend_module_is_served_as_javascript(logdir, tensorboard_server):
    tb = tensorboard_server(logdir)
    status, body, content_type = tb.get(tb.plugin(PLUGIN, "index.js"))
    assert status == 200, "frontend not built: run `make build`"
    assert content_type.startswith("text/javascript") and b"render" in body


BAD_QUERIES = [
    ("record", 400),
    ("record?run=small&tag=val", 400),
    ("record?run=small&step=1", 400),
    ("record?tag=val&step=1", 400),
    ("record?run=small&tag=val&step=abc", 400),
    ("record?run=small&tag=val&step=-1", 400),
    ("record?run=small&tag=val&step=1.5", 400),
    # int() takes all of these: a space, plus sign, underscore, fullwidth and Arabic-Indic digits, minus zero
    ("record?run=small&tag=val&step=%201", 400),
    ("record?run=small&tag=val&step=%2B1", 400),
    ("record?run=small&tag=val&step=1_0", 400),
    ("record?run=small&tag=val&step=%EF%BC%91", 400),
    ("record?run=small&tag=val&step=%D9%A1", 400),
    ("record?run=small&tag=val&step=-0", 400),
    ("examples?run=small&tag=val&step=1&true=%2B0&pred=0", 400),
    ("record?run=small&tag=val&step=99999999999999999999999", 404),
    ("record?run=nope&tag=val&step=1", 404),
    ("record?run=small&tag=nope&step=1", 404),
    ("record?run=small&tag=val&step=100000", 404),
    ("record?run=..%2F..&tag=val&step=1", 404),
    ("record?run=%00&tag=%ff%fe&step=1", 404),
    ("record?run=small&tag=val&step=1&arrays=", 200),
    ("examples?run=small&tag=val&step=1&true=0", 400),
    ("examples?run=small&tag=val&step=1&true=0&pred=x", 400),
    ("examples?run=small&tag=val&step=1&true=9&pred=0", 404),
    ("examples?run=small&tag=val&step=1&true=0&pred=1", 200),
]


@pytest.mark.parametrize("load_fast", [True, False])
def test_bad_queries_answer_400_or_404_with_json_never_500(logdir, tensorboard_server, load_fast):
    tb = tensorboard_server(logdir, load_fast=load_fast)
    wait_for(lambda: len(tb.get_json(tb.plugin(PLUGIN, "tags"))) == 2)
    for query, expected in BAD_QUERIES:
        status, body, content_type = tb.get(tb.plugin(PLUGIN, query))
        assert status == expected, (query, status, body[:200])
        if status != 200:
            assert content_type.startswith("application/json") and "error" in json.loads(body), query
    long_run = urllib.parse.quote("x" * 5000)
    assert tb.get(tb.plugin(PLUGIN, f"record?run={long_run}&tag=val&step=1"))[0] == 404


def test_a_plugin_that_fails_to_import_does_not_stop_tensorboard(logdir, tensorboard_server, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    # Makes `import tb_suite.predictions.plugin` raise ImportError inside the TensorBoard process.
    (site / "sitecustomize.py").write_text("import sys\nsys.modules['tb_suite.predictions.plugin'] = None\n")
    tb = tensorboard_server(logdir, env={"PYTHONPATH": str(site)})
    listing = tb.get_json("/data/plugins_listing")
    assert PLUGIN not in listing and "scalars" in listing
    assert "tbs_predictions plugin failed to load" in tb.log()


def test_a_step_logged_while_tensorboard_runs_appears_within_10_seconds(tmp_path, tensorboard_server):
    writer = tbs.Writer(tmp_path / "live")
    meta, arrays = _record(0, 3)
    writer.write_record(PLUGIN, "val", 0, meta, arrays, content={"kind": "labels"})
    writer.flush()
    tb = tensorboard_server(tmp_path, reload_interval=None)  # TensorBoard's default 5 s reload
    wait_for(lambda: tb.get_json(tb.plugin(PLUGIN, "tags")).get("live"), timeout=30)
    latencies = []
    # Writes land at different points of TensorBoard's 5 s reload cycle, as in real training.
    for step, delay in enumerate((0.6, 1.9, 3.2, 4.4, 2.5), start=1):
        time.sleep(delay)
        writer.write_record(PLUGIN, "val", step, meta, arrays, content={"kind": "labels"})  # no explicit flush
        start = time.monotonic()
        wait_for(
            lambda: step in tb.get_json(tb.plugin(PLUGIN, "tags"))["live"]["val"]["steps"], timeout=10, interval=0.25
        )
        latencies.append(time.monotonic() - start)
    writer.close()
    assert max(latencies) <= 10.0 and sorted(latencies)[2] <= 5.0, latencies


@pytest.mark.parametrize("load_fast", [True, False])
def test_a_tag_written_by_a_newer_tb_suite_is_left_out_with_one_warning(tmp_path, tensorboard_server, load_fast):
    meta, arrays = _record(0, 3)
    with tbs.Writer(tmp_path / "run") as writer:
        writer.write_record(PLUGIN, "val", 0, meta, arrays, content={"kind": "labels"})
        writer.write_record(PLUGIN, "future", 0, meta, arrays, content={"version": 99, "kind": "labels"})
    tb = tensorboard_server(tmp_path, load_fast=load_fast)
    wait_for(lambda: tb.get_json(tb.plugin(PLUGIN, "tags")).get("run"))
    expected = {"run": {"val": {"steps": [0], "meta": {"version": 1, "kind": "labels"}}}}
    for _ in range(3):
        assert tb.get_json(tb.plugin(PLUGIN, "tags")) == expected
    assert tb.log().count("tag 'future' left out: data written by a newer tb-suite (content version 99") == 1
    assert tb.get(tb.plugin(PLUGIN, "record?run=run&tag=val&step=0"))[0] == 200


def test_plugin_content_versions():
    from tb_suite.core.metadata import NewerContentError, create_summary_metadata, parse_plugin_content

    def content(**fields) -> bytes:
        return create_summary_metadata(PLUGIN, fields).plugin_data.content

    assert json.loads(content(kind="labels")) == {"version": 1, "kind": "labels"}
    assert parse_plugin_content(content(version=2, kind="x"), 2) == {"version": 2, "kind": "x"}
    with pytest.raises(NewerContentError, match="content version 3, this one reads 2"):
        parse_plugin_content(content(version=3), 2)
    seen = []

    def migrate(old: dict, version: int) -> dict:
        seen.append(version)
        return {"version": 2, "kind": old["type"]}

    assert parse_plugin_content(content(type="a"), 2, migrate) == {"version": 2, "kind": "a"}
    assert seen == [1]
    for damaged in (b"\xff", b"[1]", b'{"version": "1"}', b"{"):
        with pytest.raises(ValueError):
            parse_plugin_content(damaged)
