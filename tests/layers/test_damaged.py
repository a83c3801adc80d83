"""Damaged layers records (flipped bits, wrong meta) answer 4xx, never 500, and one damaged step never hides
the others; served through the plugin's WSGI apps over TensorBoard's Python data provider."""

import json

import numpy as np
import pytest
import werkzeug.test
from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
from tensorboard.plugins import base_plugin

from tb_suite.core import codec, wire
from tb_suite.layers import metadata as md
from tb_suite.layers.plugin import LayersPlugin
from tests.core import damage
from tests.helpers import accumulator
from tests.layers.helpers import write_monitored_run

RUN = "run"


def _base(run_dir) -> damage.Base:
    acc = accumulator(run_dir)
    (event, *_) = acc.Tensors("layers")
    value = event.tensor_proto.string_val[0]
    ref = codec.decode_reference(value)
    assert ref is not None  # a 5-layer record is larger than the inline limit: it sits in a sidecar
    payload = (run_dir / "plugins" / md.PLUGIN_NAME / ref["file"]).read_bytes()[
        ref["offset"] : ref["offset"] + ref["length"]
    ]
    return damage.Base(md.PLUGIN_NAME, "layers", acc.SummaryMetadata("layers"), payload, True)


def _client(logdir):
    multiplexer = plugin_event_multiplexer.EventMultiplexer(
        size_guidance={"tensors": 0}, tensor_size_guidance={md.PLUGIN_NAME: 0}
    )
    multiplexer.AddRunsFromDirectory(str(logdir))
    multiplexer.Reload()
    context = base_plugin.TBContext(
        data_provider=data_provider.MultiplexerDataProvider(multiplexer, str(logdir)), logdir=str(logdir)
    )
    apps = LayersPlugin(context).get_plugin_apps()
    return lambda route, **params: (lambda r: (r.status_code, r.get_data()))(
        werkzeug.test.Client(apps[f"/{route}"]).get("/", query_string=params)
    )


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    root = tmp_path_factory.mktemp("layers_base")
    write_monitored_run(root, steps=1, every=10)
    return _base(root)


def test_one_damaged_step_does_not_hide_the_others(base, tmp_path):
    damaged = [base.payload, damage.flip_bit(base.payload, 8 * base.data_offset + 5), base.payload]
    damage.write_variants(tmp_path / "logs" / RUN, base, "layers", damaged)  # step 2 damaged
    get = _client(tmp_path / "logs")
    for route, params in [("series", {"stat": "grad_norm"}), ("distribution", {"layer": "0", "kind": "weights"})]:
        status, body = get(route, run=RUN, tag="layers", **params)
        assert status == 200, body[:300]
        meta, arrays = wire.decode_wire(body)
        assert arrays["steps"].tolist() == [0, 1, 3] and [s["step"] for s in meta["skipped"]] == [2]
    # diagnoses reads only its own array, whose bytes (and checksum chunks) the flipped bit does not touch
    answer = json.loads(get("diagnoses", run=RUN, tag="layers")[1])
    assert answer["steps"] + len(answer["skipped"]) == 4 and all(s["step"] == 2 for s in answer["skipped"])
    assert get("record", run=RUN, tag="layers", step=2)[0] == 422
    assert get("record", run=RUN, tag="layers", step=1)[0] == 200


def _with_meta(base, **changes) -> bytes:
    meta, arrays = codec.decode_record(base.payload)
    return codec.encode_record({**meta, **changes}, arrays)


def test_bad_meta_and_flipped_bits_are_4xx(base, tmp_path):
    payloads = [
        _with_meta(base, layers="not a list"),
        _with_meta(base, types=["Conv2d"]),  # fewer types than layers
        _with_meta(base, first_nonfinite={"step": "x"}),
        _with_meta(base, feature_maps=[{"layer": "0", "array": "stats", "shape": [1]}]),
    ]
    payloads += list(damage.header_flips(base))[::37]
    damage.write_variants(tmp_path / "logs" / RUN, base, "layers", payloads)
    get = _client(tmp_path / "logs")
    for step in range(1, len(payloads) + 1):
        for route, params in [("record", {"step": step}), ("feature_map", {"step": step, "layer": "0"})]:
            status, body = get(route, run=RUN, tag="layers", **params)
            assert 400 <= status < 500, (route, step, status, body[:200])
    for route, params in [("series", {"stat": "act_mean"}), ("distribution", {"layer": "3"}), ("diagnoses", {})]:
        status, body = get(route, run=RUN, tag="layers", **params)
        assert status == 200, (route, body[:200])  # step 0 is intact; every other step is skipped
        skipped = (json.loads(body) if route == "diagnoses" else wire.decode_wire(body)[0])["skipped"]
        assert len(skipped) == len(payloads)
    assert np.isfinite(wire.decode_wire(get("series", run=RUN, tag="layers", stat="weight_norm")[1])[1]["values"]).any()
