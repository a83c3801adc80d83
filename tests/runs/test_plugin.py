"""The Runs routes on a real TensorBoard, both loaders: runs written by torch's SummaryWriter + add_hparams,
Lightning's TensorBoardLogger + log_hyperparams, tb-suite log_config / log_scalars and an imported experiment
folder; summaries against pandas on the values read back; filters, groups, curves, compare, bad queries."""

from __future__ import annotations

import json
import urllib.parse

import numpy as np
import pandas as pd
import pytest

from tb_suite.core.wire import decode_wire
from tests.conftest import wait_for
from tests.helpers import accumulator
from tests.runs.helpers import write_torch_sweep
from tests.runs.test_importers import _experiment

PLUGIN = "tbs_runs"


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    from lightning.pytorch.loggers import TensorBoardLogger

    import tb_suite as tbs
    from tb_suite.runs.importers import import_paths

    root = tmp_path_factory.mktemp("runs")
    write_torch_sweep(root)
    logger = TensorBoardLogger(str(root), name="lightning", version="v0")  # default hp_metric: hparams are written
    logger.log_hyperparams({"lr": 0.003, "model": {"width": 16}})
    for step in range(5):
        logger.log_metrics({"train_loss": 1.0 / (step + 1)}, step=step)
    logger.finalize("success")
    with tbs.Writer(str(root / "mine")) as writer:
        tbs.log_config(writer, {"lr": 9.0, "stale": True})  # a later call replaces it
        tbs.log_config(writer, {"lr": 0.5, "model": "bert", "seed": 1})
        for step in range(4):
            tbs.log_scalars(writer, {"loss": 4.0 - step, "acc": step / 4}, step=step)
    # Longer than TensorBoard's default 1000-point scalar sample: summaries must see every point.
    from tb_suite.runs.eventfile import ScalarFile

    steps = np.arange(5000)
    long = ScalarFile(str(root / "long"))
    long.write(["loss"], steps, 1.7e9 + steps.astype(np.float64), (np.cos(steps / 700.0) + steps / 5000)[:, None])
    long.commit()
    _damaged_config(root / "damaged")
    source = tmp_path_factory.mktemp("src")
    _experiment(source / "exp_folder", lr=0.2)
    import_paths([source / "exp_folder"], root)
    return root


def _damaged_config(run_dir) -> None:
    """A tbs_runs config record whose payload is not a record (a damaged file)."""
    from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, types_pb2

    from tb_suite.core.events import EventFileWriter
    from tb_suite.core.metadata import create_summary_metadata

    value = summary_pb2.Summary.Value(
        tag="config",
        metadata=create_summary_metadata(PLUGIN, {"kind": "config"}),
        tensor=tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING, string_val=[b"\x00not a record"]),
    )
    writer = EventFileWriter(str(run_dir))
    writer.add_event(event_pb2.Event(step=0, wall_time=1.0, summary=summary_pb2.Summary(value=[value])))
    writer.close()


def _runs(tb, **params):
    return tb.get_json(tb.plugin(PLUGIN, "runs") + ("?" + urllib.parse.urlencode(params) if params else ""))


def _points(run_dir, tag) -> list[tuple[int, float]]:
    """(step, value) of a scalar tag as TensorBoard's accumulator reads it: simple_value scalars (torch,
    imports) or scalar tensors (tb-suite log_scalars)."""
    from tensorboard.util import tensor_util

    acc = accumulator(run_dir)
    if tag in acc.Tags()["scalars"]:
        return [(e.step, e.value) for e in acc.Scalars(tag)]
    return [(e.step, float(tensor_util.make_ndarray(e.tensor_proto))) for e in acc.Tensors(tag)]


def _oracle(run_dir, tag, direction, last_n=10):
    points = _points(run_dir, tag)
    s = pd.Series([v for _, v in points], index=[p for p, _ in points], dtype="float64")
    best_step = s.idxmin() if direction == "min" else s.idxmax()
    return {"final": s.iloc[-1], "best": s[best_step], "best_step": best_step, "last_mean": s.tail(last_n).mean()}


@pytest.mark.parametrize("load_fast", [True, False])
def test_runs_table(tensorboard_server, logdir, load_fast):
    tb = tensorboard_server(logdir, load_fast=load_fast)
    assert tb.get_json("/data/plugins_listing")[PLUGIN]["tab_name"] == "Runs"
    # The quick answer (no scalar values read) lists every run and config at once, summaries pending.
    quick = wait_for(lambda: (r := _runs(tb, summaries=0)) and len(r["runs"]) == 8 and r)
    assert all(m.get("pending") for row in quick["runs"] for m in row["metrics"].values())
    assert quick["pending"] == sum(len(row["metrics"]) for row in quick["runs"]) > 0
    answer = wait_for(lambda: (r := _runs(tb)) and len(r["runs"]) == 8 and r)
    assert answer["pending"] == 0 and _runs(tb, summaries=0)["pending"] == 0  # now cached
    rows = {row["run"]: row for row in answer["runs"]}
    assert [e for e in answer["errors"] if e.startswith("damaged: config record unreadable")], answer["errors"]
    assert set(rows) == {
        "lr0.1_seed0",
        "lr0.1_seed1",
        "lr0.01_seed0",
        "lr0.01_seed1",
        "lightning/v0",
        "mine",
        "exp_folder",
        "long",
    }
    assert rows["long"]["metrics"]["loss"]["count"] == 5000  # every point, not a 1000-point sample
    assert rows["lr0.1_seed0"]["config"] == {"lr": 0.1, "seed": 0, "optimizer": "sgd"}  # add_hparams child folded in
    assert rows["lightning/v0"]["config"] == {"lr": 0.003, "model/width": 16}  # Lightning flattens with "/"
    assert rows["mine"]["config"] == {"lr": 0.5, "model": "bert", "seed": 1}
    assert rows["exp_folder"]["config"]["optimizer.lr"] == 0.2
    assert rows["exp_folder"]["files"] == [{"path": "checkpoints/best.pt", "bytes": 10}]
    for run, tag, direction in [
        ("lr0.1_seed0", "train/loss", "min"),
        ("lr0.01_seed1", "val/accuracy", "max"),
        ("mine", "acc", "max"),
        ("exp_folder", "val_loss", "min"),
        ("long", "loss", "min"),
    ]:
        got = rows[run]["metrics"][tag]
        expected = _oracle(logdir / run, tag, direction)
        assert got["direction"] == direction
        assert got["best_step"] == expected["best_step"]
        for stat in ("final", "best", "last_mean"):
            assert got[stat] == pytest.approx(expected[stat], rel=1e-12), (run, tag, stat)
    # last N and a direction override
    got = _runs(tb, last=3, direction="train/loss:max")
    row = next(r for r in got["runs"] if r["run"] == "lr0.1_seed0")
    expected = _oracle(logdir / "lr0.1_seed0", "train/loss", "max", last_n=3)
    assert row["metrics"]["train/loss"]["best_step"] == expected["best_step"]
    assert row["metrics"]["train/loss"]["last_mean"] == pytest.approx(expected["last_mean"], rel=1e-12)

    assert [r["run"] for r in _runs(tb, filter="lr < 0.05 and seed in [1]")["runs"]] == ["lr0.01_seed1"]
    assert [r["run"] for r in _runs(tb, regex="^lr0\\.1_")["runs"]] == ["lr0.1_seed0", "lr0.1_seed1"]
    grouped = _runs(tb, regex="^lr", group="lr")
    finals = {g["values"]["lr"]: g["metrics"]["train/loss"]["final"] for g in grouped["groups"]}
    for lr, stats in finals.items():
        values = [rows[f"lr{lr}_seed{s}"]["metrics"]["train/loss"]["final"] for s in (0, 1)]
        assert stats["mean"] == pytest.approx(np.mean(values)) and stats["std"] == pytest.approx(
            pd.Series(values).std()
        )

    for bad, message in [
        ({"filter": "lr <"}, "filter: column 5"),
        ({"regex": "("}, "regex:"),
        ({"last": "0"}, "last"),
        ({"direction": "loss:best"}, "direction"),
    ]:
        status, body, kind = tb.get(tb.plugin(PLUGIN, "runs") + "?" + urllib.parse.urlencode(bad))
        assert status == 400 and "json" in kind and message in json.loads(body)["error"]


@pytest.mark.parametrize("load_fast", [True, False])
def test_curves_compare_and_live(tensorboard_server, logdir, tmp_path, load_fast):
    import tb_suite as tbs

    tb = tensorboard_server(logdir, load_fast=load_fast)
    wait_for(lambda: len(_runs(tb)["runs"]) == 8)
    runs = json.dumps(["lr0.1_seed0", "lr0.01_seed0", "nope"])
    status, body, _ = tb.get(
        tb.plugin(PLUGIN, "scalars") + "?" + urllib.parse.urlencode({"tag": "train/loss", "runs": runs})
    )
    assert status == 200
    meta, arrays = decode_wire(body)
    assert meta["runs"] == ["lr0.1_seed0", "lr0.01_seed0"] and meta["missing"] == ["nope"]
    events = accumulator(logdir / "lr0.1_seed0").Scalars("train/loss")
    np.testing.assert_array_equal(arrays["step.0"], [e.step for e in events])
    np.testing.assert_array_equal(arrays["value.0"], [e.value for e in events])
    assert arrays["epoch.0"].tolist() == [30, 60, 90]  # where the epoch scalar changes

    params = {"tag": "train/loss", "runs": json.dumps(["lr0.1_seed0", "lr0.01_seed1"])}
    compare = tb.get_json(tb.plugin(PLUGIN, "compare") + "?" + urllib.parse.urlencode(params))
    assert compare["steps"] == list(range(0, 100, 10))
    status, body, kind = tb.get(
        tb.plugin(PLUGIN, "compare") + "?" + urllib.parse.urlencode({**params, "format": "csv"})
    )
    assert status == 200 and kind.startswith("text/csv")
    frame = pd.read_csv(__import__("io").StringIO(body.decode()))
    assert list(frame.columns) == ["step", "lr0.1_seed0", "lr0.01_seed1"]
    np.testing.assert_array_equal(
        frame["lr0.01_seed1"].to_numpy(), [e.value for e in accumulator(logdir / "lr0.01_seed1").Scalars("train/loss")]
    )
    # Per-epoch box-plot statistics, against pandas on the values read back.
    answer = tb.get_json(
        tb.plugin(PLUGIN, "epochs") + "?" + urllib.parse.urlencode({"run": "lr0.1_seed0", "tag": "train/loss"})
    )
    points = _points(logdir / "lr0.1_seed0", "train/loss")
    frame = pd.DataFrame({"v": [v for _, v in points], "epoch": [s // 30 for s, _ in points]}).groupby("epoch")["v"]
    assert [e["epoch"] for e in answer["epochs"]] == [0, 1, 2, 3]
    for e in answer["epochs"]:
        assert e["median"] == pytest.approx(frame.median()[e["epoch"]], rel=1e-12)
        assert e["q1"] == pytest.approx(frame.quantile(0.25)[e["epoch"]], rel=1e-12)
        assert e["count"] == frame.count()[e["epoch"]]
    assert tb.get(tb.plugin(PLUGIN, "epochs") + "?run=lr0.1_seed0&tag=nope")[0] == 404
    for bad in [{"tag": "x", "runs": "[1]"}, {"tag": "x"}, {"tag": "x", "runs": "not json"}]:
        status, body, _ = tb.get(tb.plugin(PLUGIN, "scalars") + "?" + urllib.parse.urlencode(bad))
        assert status == 400, body

    # Live: new steps of a run show up (the cached summary is replaced).
    with tbs.Writer(str(logdir / "mine")) as writer:
        tbs.log_scalars(writer, {"loss": -1.0}, step=10 if load_fast else 20)  # increasing across the two runs
    row = wait_for(
        lambda: next(r for r in _runs(tb)["runs"] if r["run"] == "mine")["metrics"]["loss"]["final"] == -1.0, timeout=60
    )
    assert row


@pytest.mark.parametrize("load_fast", [True, False])
def test_tensorboards_own_scalar_routes_keep_their_points(tensorboard_server, logdir, load_fast):
    """The Runs loader's larger scalar sample must not empty TensorBoard's Scalars / Time Series tabs (a sample
    hint of 0 does: both downsample to the hint)."""
    tb = tensorboard_server(logdir, load_fast=load_fast)
    points = wait_for(lambda: tb.get_json("/data/plugin/scalars/scalars?run=long&tag=loss"))
    assert [p[1] for p in points] == list(range(5000))
    expected = [v for _, v in _points(logdir / "long", "loss")]
    assert [p[2] for p in points] == pytest.approx(expected, rel=1e-7)
    body = urllib.parse.urlencode({"requests": json.dumps([{"plugin": "scalars", "tag": "loss", "runs": ["long"]}])})
    status, data, _ = tb.post("/experiment/defaultExperimentId/data/plugin/timeseries/timeSeries", body.encode())
    assert status == 200
    assert len(json.loads(data)[0]["runToSeries"]["long"]) == 5000
