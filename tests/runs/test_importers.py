"""Imports: every format round-trips (file -> events -> read back equal, every row), format detection, and
a malformed file fails naming file, line and column with nothing written."""

from __future__ import annotations

import csv
import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from tb_suite.core.reader import read_records
from tb_suite.runs import metadata as md
from tb_suite.runs.importers import ImportFormatError, detect_format, import_paths
from tests.helpers import accumulator


def _scalars(run_dir) -> dict[str, dict[int, float]]:
    acc = accumulator(run_dir)
    return {tag: {e.step: e.value for e in acc.Scalars(tag)} for tag in acc.Tags()["scalars"]}


def _config(run_dir) -> dict:
    ((meta, _),) = read_records(run_dir, md.PLUGIN_NAME)[md.CONFIG_TAG].values()
    return meta


def _write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def _assert_round_trip(run_dir, header, rows, step_col="step", skip=("step", "wall_time")):
    scalars = _scalars(run_dir)
    expected = {name: {} for name in header if name not in skip}
    for i, row in enumerate(rows):
        step = int(float(row[header.index(step_col)])) if step_col in header else i
        for name, cell in zip(header, row):
            if name not in skip and cell != "":
                expected[name][step] = float(np.float32(float(cell)))
    assert {tag: values for tag, values in scalars.items() if values} == {k: v for k, v in expected.items() if v}


def test_csv_round_trip_every_row(tmp_path):
    rng = np.random.default_rng(0)
    header = ["step", "wall_time", "epoch", "train/loss", "val/acc"]
    rows = []
    for i in range(300):
        val = f"{rng.random():.6f}" if i % 50 == 49 else ""
        rows.append([i * 3, f"{1.7e9 + i:.3f}", i // 100, repr(float(rng.normal())), val])
    _write_csv(tmp_path / "m.csv", header, rows)
    assert detect_format(str(tmp_path / "m.csv")) == "csv"
    (planned,) = import_paths([tmp_path / "m.csv"], tmp_path / "logs")
    assert planned.run == "m" and planned.format == "csv"
    _assert_round_trip(tmp_path / "logs" / "m", header, rows)
    acc = accumulator(tmp_path / "logs" / "m")
    assert [e.wall_time for e in acc.Scalars("train/loss")][:2] == [1.7e9, 1.7e9 + 1]


def test_csv_row_index_and_iso_times(tmp_path):
    header = ["timestamp", "loss"]
    rows = [["2024-01-01T00:00:00", "1.5"], ["2024-01-01T00:00:02.5", "1.25"]]
    _write_csv(tmp_path / "a.csv", header, rows)
    import_paths([tmp_path / "a.csv"], tmp_path / "logs")
    acc = accumulator(tmp_path / "logs" / "a")
    events = acc.Scalars("loss")
    assert [(e.step, e.value) for e in events] == [(0, 1.5), (1, 1.25)]
    assert events[1].wall_time - events[0].wall_time == pytest.approx(2.5)


@pytest.mark.parametrize(
    "text, where",
    [
        ("step,loss\n0,1.0\n1,abc\n", ":3:2: not a number: 'abc'"),
        ("step,loss\n0,1.0\n1,2,3\n", ":3:3: 3 fields, the header has 2"),
        ("step,loss\n0,1.0\n-1,2\n", ":3:1: a step must be an integer >= 0"),
        ("step,loss\n0.5,1.0\n", ":2:1: a step must be an integer"),
        ("step,loss\n0,1e39\n", ":2:2: '1e39' is outside the float32 range"),
        ("step,loss,loss\n0,1,2\n", ":1:3: column 'loss' appears twice"),
        ("", ":1:1: empty file"),
    ],
)
def test_malformed_csv_names_line_and_column_and_writes_nothing(tmp_path, text, where):
    good = tmp_path / "good.csv"
    good.write_text("step,loss\n0,1\n")
    bad = tmp_path / "bad.csv"
    bad.write_text(text)
    with pytest.raises(ImportFormatError) as error:
        import_paths([good, bad], tmp_path / "logs")  # the good file is not written either
    assert str(error.value).startswith(str(bad)) and where in str(error.value)
    assert not (tmp_path / "logs").exists()


def _experiment(folder, lr=0.1):
    (folder / "logs").mkdir(parents=True)
    (folder / "checkpoints").mkdir()
    (folder / "checkpoints" / "best.pt").write_bytes(b"x" * 10)
    (folder / "config.json").write_text(
        json.dumps({"optimizer": {"lr": lr, "name": "adam"}, "seed": 3, "layers": [2, 4]})
    )
    header = ["epoch", "step", "train_loss", "val_loss", "lr", "grad_norm", "throughput"]
    rows = [[s // 5, s, 2 / (s + 1), "" if s % 5 else 1.5 / (s + 1), lr, 0.5 + s / 100, 1000 + s] for s in range(20)]
    _write_csv(folder / "logs" / "metrics.csv", header, rows)
    return header, rows


def test_experiment_folder(tmp_path):
    header, rows = _experiment(tmp_path / "exp_a")
    assert detect_format(str(tmp_path / "exp_a")) == "experiment"
    import_paths([tmp_path / "exp_a"], tmp_path / "logs")
    run_dir = tmp_path / "logs" / "exp_a"
    _assert_round_trip(run_dir, header, [[str(c) for c in r] for r in rows])
    meta = _config(run_dir)
    assert meta["config"] == {"optimizer.lr": 0.1, "optimizer.name": "adam", "seed": 3, "layers": "[2, 4]"}
    assert meta["files"] == [{"path": os.path.join("checkpoints", "best.pt"), "bytes": 10}]
    assert meta["source"].startswith("experiment:")


def test_experiment_folder_bad_config_names_line_and_column(tmp_path):
    _experiment(tmp_path / "exp")
    (tmp_path / "exp" / "config.json").write_text('{"lr": 0.1,\n "seed": }')
    with pytest.raises(ImportFormatError, match=r"config.json:2:10: not valid JSON"):
        import_paths([tmp_path / "exp"], tmp_path / "logs")
    assert not (tmp_path / "logs").exists()


def test_lightning_csv_logger(tmp_path):
    import lightning.pytorch as pl
    import torch
    from lightning.pytorch.loggers import CSVLogger

    class Tiny(pl.LightningModule):
        def __init__(self, lr=0.05, hidden=4, nested=None):
            super().__init__()
            self.save_hyperparameters()
            self.net = torch.nn.Sequential(torch.nn.Linear(3, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, 1))

        def training_step(self, batch, _):
            x, y = batch
            loss = torch.nn.functional.mse_loss(self.net(x), y)
            self.log("train_loss", loss)
            return loss

        def validation_step(self, batch, _):
            x, y = batch
            self.log("val_loss", torch.nn.functional.mse_loss(self.net(x), y))

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)

    torch.manual_seed(0)
    x = torch.randn(64, 3)
    data = torch.utils.data.TensorDataset(x, x.sum(1, keepdim=True))
    loader = torch.utils.data.DataLoader(data, batch_size=8)
    logger = CSVLogger(str(tmp_path / "csv"), name="tiny")
    trainer = pl.Trainer(
        max_epochs=2,
        logger=logger,
        log_every_n_steps=2,
        enable_progress_bar=False,
        enable_checkpointing=False,
        enable_model_summary=False,
        accelerator="cpu",
    )
    trainer.fit(Tiny(nested={"a": 1}), loader, loader)
    folder = tmp_path / "csv" / "tiny" / "version_0"
    assert detect_format(str(folder)) == "lightning"
    (planned,) = import_paths([folder], tmp_path / "logs")
    assert planned.run == "tiny/version_0"
    with open(folder / "metrics.csv") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)
    _assert_round_trip(tmp_path / "logs" / "tiny" / "version_0", header, rows)
    assert _config(tmp_path / "logs" / "tiny" / "version_0")["config"] == {"lr": 0.05, "hidden": 4, "nested.a": 1}


def test_hf_trainer_state(tmp_path):
    from transformers import Trainer

    from tests.integrations.test_transformers import Tokens, _args, _model

    trainer = Trainer(
        model=_model(), args=_args(tmp_path, report_to=[]), train_dataset=Tokens(64, 0), eval_dataset=Tokens(24, 1)
    )
    trainer.train()
    trainer.state.save_to_json(str(tmp_path / "out" / "trainer_state.json"))
    state = json.loads((tmp_path / "out" / "trainer_state.json").read_text())
    (planned,) = import_paths([tmp_path / "out"], tmp_path / "logs", runs=["hf"])
    assert planned.format == "hf"
    scalars = _scalars(tmp_path / "logs" / "hf")
    expected: dict[str, dict[int, float]] = {}
    for entry in state["log_history"]:
        for key, value in entry.items():
            if key != "step" and isinstance(value, (int, float)):
                expected.setdefault(key, {})[entry["step"]] = float(np.float32(value))
    assert "loss" in expected and "eval_loss" in expected
    assert scalars == expected
    config = _config(tmp_path / "logs" / "hf")["config"]
    assert config["global_step"] == state["global_step"] and config["logging_steps"] == 2


def test_seqviz_jsonl_loss_and_perplexity(tmp_path):
    from tests.tokens.test_seqviz_import import _entry

    path = tmp_path / "viz.jsonl"
    path.write_text("\n".join(json.dumps(_entry(step, 2.0 - step / 10, 0.6)) for step in (0, 5, 10)) + "\n")
    assert detect_format(str(path)) == "seqviz"
    import_paths([path], tmp_path / "logs")
    scalars = _scalars(tmp_path / "logs" / "viz")
    assert scalars["loss"] == {s: float(np.float32(2.0 - s / 10)) for s in (0, 5, 10)}
    assert scalars["perplexity"] == {s: float(np.float32(math.exp(2.0 - s / 10))) for s in (0, 5, 10)}
    assert set(read_records(tmp_path / "logs" / "viz", "tbs_tokens")["seqviz"]) == {0, 5, 10}
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"step": 0, "loss": 1}\n{"step": 1, "loss": }\n')
    with pytest.raises(ImportFormatError, match=r"bad.jsonl:2:21: not valid JSON"):
        import_paths([bad], tmp_path / "logs2")
    assert not (tmp_path / "logs2").exists()


def test_cli_import_detects_and_reports(tmp_path):
    _experiment(tmp_path / "exp_b")
    (tmp_path / "plain.csv").write_text("step,loss\n0,1\n1,0.5\n")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "tb_suite.cli",
            "import",
            str(tmp_path / "exp_b"),
            str(tmp_path / "plain.csv"),
            "--logdir",
            str(tmp_path / "logs"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "experiment" in out.stdout and "csv" in out.stdout and "exp_b" in out.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "tb_suite.cli", "import", str(tmp_path / "nowhere"), "--logdir", str(tmp_path / "l2")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and "nowhere: no such file or folder" in bad.stderr


def test_numeric_fast_path_equals_general_reader(tmp_path):
    from tb_suite.runs.importers import read_csv, read_csv_rows

    rng = np.random.default_rng(3)
    path = tmp_path / "n.csv"
    _write_csv(
        path,
        ["step", "wall_time", "a", "b"],
        [[i * 2, 1.7e9 + i / 3, repr(float(rng.normal())), f"{rng.random():.3e}"] for i in range(500)],
    )
    fast = read_csv(str(path))
    with open(path, newline="") as f:
        general = read_csv_rows(str(path), list(csv.reader(f)))
    assert fast.tags == general.tags == ["a", "b"]
    np.testing.assert_array_equal(fast.steps, general.steps)
    np.testing.assert_array_equal(fast.wall_times, general.wall_times)
    np.testing.assert_array_equal(fast.values, general.values)


def test_follow_imports_appended_rows(tmp_path):
    import time

    path = tmp_path / "live.csv"
    path.write_text("step,loss\n0,1.0\n1,0.9\n")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tb_suite.cli",
            "import",
            str(path),
            "--logdir",
            str(tmp_path / "logs"),
            "--follow",
            "--idle-exit",
            "4",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        run_dir = tmp_path / "logs" / "live"
        from tests.conftest import wait_for

        wait_for(
            lambda: run_dir.exists() and _scalars(run_dir).get("loss") == {0: 1.0, 1: float(np.float32(0.9))},
            timeout=60,
        )
        with open(path, "a") as f:
            f.write("2,0.8\n3,0.")  # a partial row is not read until its line ends
            f.flush()
            time.sleep(1.5)
            f.write("7\n")
        wait_for(lambda: set(_scalars(run_dir).get("loss", {})) == {0, 1, 2, 3}, timeout=60)
        assert _scalars(run_dir)["loss"][3] == float(np.float32(0.7))
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        assert "following" in out and "4 rows" in out
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


@pytest.mark.parametrize("tags", [3, 60])  # one integer key per layout up to 56 columns, byte keys above
def test_encoded_events_parse_as_protobuf(tags):
    import struct

    from tensorboard.compat.proto import event_pb2

    from tb_suite.core.events import masked_crc32c
    from tb_suite.runs.eventfile import encode_rows

    rng = np.random.default_rng(tags)
    rows = 200
    values = rng.normal(size=(rows, tags)).astype(np.float32)
    values[rng.random((rows, tags)) < 0.3] = np.nan
    values[5] = np.nan  # a row without cells is skipped
    steps = np.sort(rng.choice(1 << 40, rows, replace=False))  # varints of several widths
    names = [f"tag/{i}" for i in range(tags)]
    blob = encode_rows(names, steps, 1.7e9 + np.arange(rows) / 7, values)
    pos, seen = 0, []
    while pos < len(blob):
        header = blob[pos : pos + 8]
        (length,) = struct.unpack("<Q", header)
        assert struct.unpack("<I", blob[pos + 8 : pos + 12])[0] == masked_crc32c(header)
        data = blob[pos + 12 : pos + 12 + length]
        assert struct.unpack("<I", blob[pos + 12 + length : pos + 16 + length])[0] == masked_crc32c(data)
        seen.append(event_pb2.Event.FromString(data))
        pos += 16 + length
    expected_rows = [i for i in range(rows) if not np.isnan(values[i]).all()]
    assert [e.step for e in seen] == [int(steps[i]) for i in expected_rows]
    for event, i in zip(seen, expected_rows):
        assert event.wall_time == 1.7e9 + i / 7
        got = {v.tag: v.simple_value for v in event.summary.value}
        assert got == {names[c]: float(values[i, c]) for c in range(tags) if not np.isnan(values[i, c])}
