"""Damaged payloads of every family, served by every route: refused with a 4xx JSON error naming the step,
never a 500, and never served as valid data; routes over many steps skip the damaged ones and list them.

Damage: every single-bit flip of the payload header (magic, length, JSON, checksum), every bit flip of the
header's JSON with its checksum recomputed (what only the header checks catch), single-byte flips of the
array data, and bit flips of sidecar references; on real records of each family, inline and in sidecars.
"""

from __future__ import annotations

import json

import pytest

from tb_suite.core import codec, wire
from tests.conftest import wait_for
from tests.core import damage

RUN = "damaged"
# Flips that the codec refuses on its own (every one of them is refused in test_every_flipped_header_bit_of_
# every_family_is_refused) are the same refusal to every route: of those, every 16th is served.
REFUSED_STRIDE = 16


def per_step_routes(base: damage.Base) -> list[tuple[str, dict]]:
    everything = {"arrays": ",".join(base.array_names)}
    if base.plugin == "tbs_predictions":
        return [("record", everything), ("examples", {"true": 0, "pred": 0})]
    if base.plugin == "tbs_attention" and base.tag != "heads":
        return [
            ("record", everything),
            ("example", {}),
            ("map", {"layer": 0, "head": 0}),
            ("map", {"view": "layer", "layer": 0}),
            ("map", {"view": "rollout"}),
            ("grid", {}),
        ]
    return [("record", everything)]


def spanning_routes(base: damage.Base) -> list[tuple[str, dict]]:
    return {
        "tbs_attention": [("head_stats", {})] if base.tag == "heads" else [],
        "tbs_tokens": [("history", {}), ("history", {"seq": 0, "pos": 1})],
        "tbs_landscape": [("steps", {})],
    }.get(base.plugin, [])


def _parses(payload: bytes) -> bool:
    try:
        codec.parse_header(payload)
        return True
    except codec.CodecError:
        return False


def variants(base: damage.Base, stride: int, accepted_stride: int) -> dict[str, list[bytes]]:
    """Damaged copies of `base` by kind: every `stride`-th flip that the codec refuses, and every
    `accepted_stride`-th resealed header flip that it accepts (still-valid headers with changed values:
    renamed arrays, changed meta values)."""
    sealed = [(p, _parses(p)) for p in damage.resealed_header_flips(base)]
    accepted = [p for p, ok in sealed if ok][::accepted_stride]
    return {
        "header": list(damage.header_flips(base))[::stride],
        "sealed": [p for p, ok in sealed if not ok][::stride] + accepted,
        "data": list(damage.data_flips(base, 40 if stride == REFUSED_STRIDE else 4)),
    }


@pytest.fixture(scope="module")
def damaged_logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("damage")
    damage.log_base_records(root / "base")
    bases = damage.base_records(root / "base")
    assert {(b.plugin, b.sidecar) for b in bases} == {(p, s) for p in damage.PLUGINS for s in (False, True)}

    def write(logdir, stride: int, accepted_stride: int) -> dict:
        layout = {}
        for base in bases:
            for kind, payloads in variants(base, stride, accepted_stride).items():
                tag = f"{base.tag}/{kind}"
                damage.write_variants(logdir / RUN, base, tag, payloads)
                layout[tag] = (base, kind, len(payloads))
            if base.sidecar:
                tag = f"{base.tag}/ref"
                flips = damage.reference_flips(base, logdir / RUN, tag)[:: 1 if stride == REFUSED_STRIDE else 13]
                damage.write_variants(logdir / RUN, base, tag, [], references=flips)
                layout[tag] = (base, "ref", len(flips))
        return layout

    return {
        "all": (root / "all", write(root / "all", REFUSED_STRIDE, 1)),
        "sample": (root / "sample", write(root / "sample", 397, 41)),
    }


def test_every_flipped_header_bit_of_every_family_is_refused(damaged_logdir, tmp_path):
    damage.log_base_records(tmp_path)
    for base in damage.base_records(tmp_path):
        for payload in damage.header_flips(base):
            with pytest.raises(codec.CodecError):
                codec.decode_record(payload)


@pytest.mark.parametrize(
    "tag,plugin,route,params",
    [
        ("tok_small", "tbs_tokens", "history", {}),
        ("tok_large", "tbs_tokens", "history", {"seq": 1, "pos": 2}),
        ("line", "tbs_landscape", "steps", {}),
        ("heads", "tbs_attention", "head_stats", {}),
    ],
)
def test_one_damaged_step_does_not_hide_the_others(tmp_path, tag, plugin, route, params):
    damage.log_base_records(tmp_path / "base")
    base = next(b for b in damage.base_records(tmp_path / "base") if b.tag == tag)
    damaged = [base.payload, damage.flip_bit(base.payload, 8 * base.data_offset - 3), base.payload]
    damage.write_variants(tmp_path / "logs" / RUN, base, tag, damaged)  # step 2 damaged, 0, 1 and 3 intact
    status, body = damage.Routes(tmp_path / "logs").get(plugin, route, run=RUN, tag=tag, **params)
    assert status == 200, body[:300]
    if route == "steps":
        rows = json.loads(body)
        assert [row["step"] for row in rows] == [0, 1, 2, 3] and "min" in rows[1] and set(rows[2]) == {"step", "error"}
        skipped = [rows[2]]
    else:
        meta, arrays = wire.decode_wire(body)
        assert arrays["steps"].tolist() == [0, 1, 3]
        skipped = meta["skipped"]
    assert [s["step"] for s in skipped] == [2] and "damaged" in skipped[0]["error"]


@pytest.mark.parametrize("tag", ["line", "plane"])  # inline, sidecar
def test_format_1_records_are_still_served(tmp_path, tag):
    damage.log_base_records(tmp_path / "base")
    base = next(b for b in damage.base_records(tmp_path / "base") if b.tag == tag)
    meta, arrays = codec.decode_record(base.payload)
    old = damage.v1_payload(meta, arrays)
    assert old[:4] == b"TBS1" and (len(old) > 4096) == base.sidecar
    damage.write_variants(
        tmp_path / "logs" / RUN, damage.Base(base.plugin, tag, base.metadata, old, base.sidecar), tag, []
    )
    routes = damage.Routes(tmp_path / "logs")
    status, body = routes.get("tbs_landscape", "record", run=RUN, tag=tag, step=0)
    assert status == 200, body[:300]
    served_meta, served = wire.decode_wire(body)
    assert served_meta == meta and all((served[name] == array).all() for name, array in arrays.items())
    assert routes.get_json("tbs_landscape", "steps", run=RUN, tag=tag) == [
        {"step": 0, **{k: meta[k] for k in ("type", "min", "max", "center_loss") if k in meta}}
    ]


def test_read_records_names_the_damaged_record(tmp_path):
    from tb_suite.core.reader import read_records

    damage.log_base_records(tmp_path / "base")
    base = next(b for b in damage.base_records(tmp_path / "base") if b.tag == "plane")
    damage.write_variants(tmp_path / "run", base, "plane", list(damage.data_flips(base, 1)))
    with pytest.raises(codec.CodecError, match="tag 'plane', step 1: array .* is damaged"):
        read_records(tmp_path / "run", "tbs_landscape")


def check_answer(status: int, body: bytes, step: int | None, route: str) -> None:
    assert status in (200, 400, 404, 422), (route, step, status, body[:300])
    if status == 200:
        if route in ("example", "steps", "tags"):
            json.loads(body)
        else:
            wire.decode_wire(body)
        return
    error = json.loads(body)
    assert isinstance(error["error"], str), (route, step, error)
    if status == 422 and step is not None:
        assert error["step"] == step and f"step {step} " in error["error"], (route, step, error)


def serve_and_check(get, layout: dict) -> dict:
    """Every route over every damaged step of `layout` through `get(plugin, route, **params)`; returns
    counts of answers by (kind, status)."""
    counts: dict = {}
    for tag, (base, kind, count) in layout.items():
        steps = range(count + 1)
        for route, params in per_step_routes(base):
            for step in steps:
                status, body = get(base.plugin, route, run=RUN, tag=tag, step=step, **params)
                check_answer(status, body, step, route)
                counts[kind, status] = counts.get((kind, status), 0) + 1
                if step == 0:
                    assert status == 200, (tag, route, body[:300])  # the intact copy
                elif kind == "header" or (kind == "data" and route == "record"):
                    assert status == 422, (tag, route, step, body[:300])  # refused, not served changed
        for route, params in spanning_routes(base):
            status, body = get(base.plugin, route, run=RUN, tag=tag, **params)
            check_answer(status, body, None, route)
            assert status == 200, (tag, route, body[:300])  # one damaged step never hides the others
            if route == "steps":
                rows = json.loads(body)
                served = [row["step"] for row in rows if "error" not in row]
                skipped = [row for row in rows if "error" in row]
            else:
                meta, arrays = wire.decode_wire(body)
                served, skipped = arrays["steps"].astype(int).tolist(), meta["skipped"]
            assert all(isinstance(s["error"], str) and s["error"] for s in skipped)
            assert sorted(served + [s["step"] for s in skipped]) == list(steps), (tag, route)
            assert 0 in served
            if kind == "header":
                assert sorted(s["step"] for s in skipped) == list(steps)[1:], (tag, route)
    return counts


def test_every_damaged_header_and_data_byte_is_refused_and_never_a_500(damaged_logdir):
    logdir, layout = damaged_logdir["all"]
    routes = damage.Routes(logdir)
    counts = serve_and_check(routes.get, layout)
    assert counts[("header", 422)] > 5000 and counts[("sealed", 422)] > 5000 and counts[("ref", 422)] > 3000
    assert counts[("data", 422)] > 300 and counts[("sealed", 200)] > 1000  # valid changed headers still serve
    tags = routes.get_json("tbs_attention", "tags")[RUN]
    assert tags["attn_small/header"]["steps"] == list(range(layout["attn_small/header"][2] + 1))


@pytest.mark.parametrize("load_fast", [True, False])
def test_real_tensorboard_answers_damaged_steps_with_4xx(damaged_logdir, tensorboard_server, load_fast):
    logdir, layout = damaged_logdir["sample"]
    tb = tensorboard_server(logdir, load_fast=load_fast)
    expected = {tag: count + 1 for tag, (base, _, count) in layout.items() if base.plugin == "tbs_attention"}
    wait_for(
        lambda: (
            {t: len(v["steps"]) for t, v in tb.get_json(tb.plugin("tbs_attention", "tags")).get(RUN, {}).items()}
            == expected
        )
    )

    def get(plugin, route, **params):
        query = "&".join(f"{key}={value}" for key, value in params.items())
        status, body, _ = tb.get(tb.plugin(plugin, f"{route}?{query}"))
        return status, body

    counts = serve_and_check(get, layout)
    assert counts[("header", 422)] > 100 and counts[("data", 422)] > 20
