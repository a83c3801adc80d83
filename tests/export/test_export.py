"""Issue 14: `tb-suite export` over a real logdir through the plugin's own routes: the JSON export holds the
stored records, the HTML export embeds them in at most bundle + 1.3x their bytes, an over-large selection is
refused before anything is written, and HTML in the data cannot leave its <script>."""

from __future__ import annotations

import base64
import gzip
import json
import re
import struct

import numpy as np
import pytest

from tb_suite.cli import main
from tb_suite.core.reader import read_records
from tb_suite.core.wire import decode_wire
from tb_suite.export import ExportTooLarge, export
from tb_suite.export.selection import Selection, parse_steps
from tests.export.conftest import HTML_TAG, STEPS


def embedded_answers(html: str) -> dict[str, tuple[int, bytes]]:
    """{key: (status, body)} of the page, decoded independently of tb_suite/export/embed.py."""
    match = re.search(
        r'<script type="application/octet-stream" id="tbs-embedded" data-length="(\d+)">(.*?)</script>', html, re.DOTALL
    )
    compressed = base64.b85decode(match.group(2).replace(".", "<"))
    assert len(compressed) == int(match.group(1))
    packed = gzip.decompress(compressed)
    (index_length,) = struct.unpack_from("<I", packed)
    index = json.loads(packed[4 : 4 + index_length])
    bodies = packed[4 + index_length :]
    return {key: (status, bodies[offset : offset + length]) for key, (status, offset, length, _) in index.items()}


def test_json_export_round_trips_the_stored_records(landscape_logdir, tmp_path):
    out = tmp_path / "report.json"
    export(landscape_logdir, "landscape", out, selection=Selection(runs="^a$", steps="10:30:10"), format="json")
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["plugin"] == "tbs_landscape"
    assert set(document["tags"]) == {"a"} and document["tags"]["a"]["plane"]["steps"] == [10, 20, 30]
    stored = read_records(landscape_logdir / "a", "tbs_landscape")
    seen = set()
    for record in document["records"]:
        meta, arrays = stored[record["tag"]][record["step"]]
        assert record["run"] == "a" and record["meta"] == meta
        assert set(record["arrays"]) == set(arrays)
        for name, array in arrays.items():
            got = record["arrays"][name]
            assert got["shape"] == list(array.shape)
            np.testing.assert_array_equal(np.array(got["data"], dtype=np.float64), array.astype(np.float64))
        seen.add((record["tag"], record["step"]))
    assert seen == {(tag, step) for tag in ("plane", HTML_TAG) for step in (10, 20, 30)}


def test_html_export_embeds_the_routes_within_the_size_bound(landscape_logdir, tmp_path):
    out = tmp_path / "report.html"
    sizes = export(landscape_logdir, "landscape", out)
    html = out.read_text(encoding="utf-8")
    assert sizes["file"] == out.stat().st_size
    assert sizes["file"] <= sizes["bundle"] + 1.3 * (sizes["embedded_binary"] + sizes["embedded_json"])
    page_only = re.sub(r'(<script type="text/plain" id="tbs-bundle">).*?</script>', r"\1", html, flags=re.DOTALL)
    assert "http:" not in page_only and "https:" not in page_only
    answers = embedded_answers(html)
    # Every embedded record decodes to the stored one (the browser's base85 alphabet swaps '<' for '.').
    stored = read_records(landscape_logdir / "b", "tbs_landscape")
    for step in STEPS:
        key = json.dumps(["record", [["run", "b"], ["step", str(step)], ["tag", "plane"]]], separators=(",", ":"))
        status, body = answers[key]
        assert status == 200
        meta, arrays = decode_wire(body)
        assert meta == stored["plane"][step][0]
        np.testing.assert_array_equal(arrays["loss"], stored["plane"][step][1]["loss"])
    # The data reaches the page only as base85: no text of it, HTML included, is in the markup.
    assert "<img" not in page_only and "onerror" not in page_only
    tags = json.loads(answers['["tags",[]]'][1])
    assert tags["a"][HTML_TAG]["steps"] == list(STEPS)


def test_steps_route_is_cut_to_the_selection(landscape_logdir, tmp_path):
    out = tmp_path / "report.html"
    export(landscape_logdir, "landscape", out, selection=Selection(tags="^plane$", steps="0,20"))
    answers = embedded_answers(out.read_text(encoding="utf-8"))
    rows = json.loads(answers[json.dumps(["steps", [["run", "a"], ["tag", "plane"]]], separators=(",", ":"))][1])
    assert [row["step"] for row in rows] == [0, 20]
    assert not any(HTML_TAG in key for key in answers)


def test_too_large_a_selection_is_refused_before_writing(landscape_logdir, tmp_path):
    out = tmp_path / "report.html"
    with pytest.raises(ExportTooLarge, match=r"over the limit of 0\.3 MiB.*--max-mib"):
        export(landscape_logdir, "landscape", out, max_bytes=300 * 1024)
    assert not out.exists()
    assert main(["export", str(landscape_logdir), "--plugin", "landscape", "-o", str(out), "--max-mib", "0.3"]) == 2
    assert not out.exists()
    assert main(["export", str(landscape_logdir), "--plugin", "tbs_landscape", "-o", str(out), "--steps", "0"]) == 0
    assert out.exists()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"plugin": "nope"}, "plugin: unknown 'nope'"),
        ({"plugin": "runs"}, "no HTML export yet"),
        ({"selection": Selection(runs="^zzz$")}, "the selection holds no steps"),
        ({"format": "pdf"}, "format: 'pdf'"),
    ],
)
def test_bad_requests_raise_named_errors_before_writing(landscape_logdir, tmp_path, kwargs, message):
    out = tmp_path / "x.html"
    with pytest.raises(ValueError, match=re.escape(message)):
        export(landscape_logdir, kwargs.pop("plugin", "landscape"), out, **kwargs)
    assert not out.exists()


def test_selection_parsing():
    assert parse_steps("5,10:20:5,30:") == [(5, 5, 1), (10, 20, 5), (30, None, 1)]
    selection = Selection(steps="5,10:20:5,30:")
    assert [s for s in range(40) if selection.step(s)] == [5, 10, 15, 20, *range(30, 40)]
    for bad in ("a", "1:2:0", "1:2:3:4"):
        with pytest.raises(ValueError, match="steps: "):
            Selection(steps=bad)
    with pytest.raises(ValueError, match="runs: bad regular expression"):
        Selection(runs="(")


def test_tokens_export_holds_every_pinnable_history_cut_to_the_steps(tokens_logdir, tmp_path):
    out = tmp_path / "tokens.html"
    sizes = export(tokens_logdir, "tokens", out, selection=Selection(steps="10:30"))
    assert sizes["file"] <= sizes["bundle"] + 1.3 * (sizes["embedded_binary"] + sizes["embedded_json"])
    answers = embedded_answers(out.read_text(encoding="utf-8"))
    histories = {key: value for key, value in answers.items() if key.startswith('["history"')}
    assert len(histories) == 2 * (1 + 2 * 6)  # per run: the loss history and each (sequence, position)
    stored = read_records(tokens_logdir / "lm_a", "tbs_tokens")["lm"]
    for key, (status, body) in histories.items():
        meta, arrays = decode_wire(body)
        assert status == 200 and arrays["steps"].tolist() == [10, 20, 30], key
        if meta["run"] == "lm_a":
            np.testing.assert_allclose(arrays["loss"], [stored[s][0]["loss"] for s in (10, 20, 30)], rtol=1e-6)


def test_the_command_exports_without_importing_torch(landscape_logdir, tmp_path):
    import subprocess
    import sys

    script = (
        "import sys; from tb_suite.cli import main; "
        f"code = main(['export', {str(landscape_logdir)!r}, '--plugin', 'landscape', '-o', {str(tmp_path / 'r.html')!r}]); "
        f"code += main(['export', {str(landscape_logdir)!r}, '--plugin', 'tokens', '-o', {str(tmp_path / 'r.json')!r}, '--format', 'json', '--tags', 'zzz']); "
        "print(code, 'torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert result.stdout.split()[-2:] == ["2", "False"], result.stdout + result.stderr
    assert "error: the selection holds no steps" in result.stderr
    assert (tmp_path / "r.html").stat().st_size > 100_000


def test_layers_series_and_distributions_are_cut_along_their_step_axis(tmp_path):
    from tests.layers.helpers import write_monitored_run

    write_monitored_run(tmp_path / "logs" / "cnn", steps=10, every=3)  # steps 0, 3, 6, 9
    out = tmp_path / "layers.html"
    export(tmp_path / "logs", "layers", out, selection=Selection(steps="3:6"))
    answers = embedded_answers(out.read_text(encoding="utf-8"))
    kinds = {json.loads(key)[0] for key in answers}
    assert {"record", "series", "distribution", "diagnoses", "feature_map"} <= kinds
    for key, (status, body) in answers.items():
        route = json.loads(key)[0]
        if route in ("series", "distribution") and status == 200:
            _, arrays = decode_wire(body)
            assert arrays["steps"].tolist() == [3, 6], key
            along = arrays["values"] if route == "series" else arrays["density"]
            assert along.shape[-1] == 2, key
            if route == "distribution":
                assert arrays["hist"].shape[0] == 2 and arrays["lo"].shape == (2,)


def test_json_export_holds_the_heavy_arrays_too(tmp_path):
    from tests.layers.helpers import write_monitored_run

    write_monitored_run(tmp_path / "logs" / "cnn", steps=4, every=3)  # steps 0, 3
    out = tmp_path / "layers.json"
    export(tmp_path / "logs", "layers", out, format="json")
    stored = read_records(tmp_path / "logs" / "cnn", "tbs_layers")
    records = json.loads(out.read_text(encoding="utf-8"))["records"]
    assert len(records) == sum(len(steps) for steps in stored.values())
    for record in records:
        meta, arrays = stored[record["tag"]][record["step"]]
        assert record["meta"] == meta and set(record["arrays"]) == set(arrays)
        assert "fmap.0" in arrays and "fmap.0" in record["arrays"]
        for name, array in arrays.items():
            data = np.array(record["arrays"][name]["data"], dtype=np.float64)
            np.testing.assert_array_equal(data.reshape(array.shape), array.astype(np.float64), err_msg=name)
