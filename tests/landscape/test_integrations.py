"""The landscape callbacks with real trainers on CPU: Lightning and the Hugging Face Trainer."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset, TensorDataset

import tb_suite as tbs
from tests.integrations.conftest import Run
from tests.landscape.models import data, mlp

PLUGIN = "tbs_landscape"


def test_lightning_callback_logs_planes_with_trajectory_and_lines(tmp_path):
    L = pytest.importorskip("lightning.pytorch")

    from tests.integrations.tiny import lightning_trainer

    class Module(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = mlp()

        def forward(self, x):
            return self.net(x)

        def training_step(self, batch, batch_idx):
            x, y = batch
            return F.cross_entropy(self(x), y)

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.5)

    x, y = data(64)
    callback = tbs.lightning.LandscapeCallback(
        loss_fn=F.cross_entropy,
        slices=("plane", "linear", "axis"),
        axis_params=["net.1.weight[0, 0]"],
        grid=5,
        linear_n=7,
        axis_n=5,
    )
    trainer = lightning_trainer(tmp_path, [callback], max_epochs=3)
    module = Module()
    trainer.fit(module, DataLoader(TensorDataset(x, y), batch_size=16))

    run = Run(trainer.logger.log_dir)
    assert run.plugin_tags(PLUGIN) == ["landscape/axis", "landscape/linear", "landscape/plane"]
    assert run.steps("landscape/plane") == [4, 8, 12]
    meta, arrays = run.record(PLUGIN, "landscape/plane", 12)
    assert arrays["loss"].shape == (5, 5) and arrays["trajectory"].shape == (3, 2)
    np.testing.assert_allclose(arrays["trajectory"][-1], [0, 0], atol=1e-6)  # the current point is the centre
    # each checkpoint's step is the global step at which the callback took it (the steps logged so far)
    assert arrays["trajectory_steps"].tolist() == [4, 8, 12]
    assert run.record(PLUGIN, "landscape/plane", 4)[1]["trajectory_steps"].tolist() == [4]
    # the plane's centre is the loss of the trained model on the held (first) batch
    with torch.no_grad():
        expected = float(F.cross_entropy(module.eval()(x[:16]), y[:16]))
    assert meta["center_loss"] == pytest.approx(expected, rel=1e-5)
    _, line = run.record(PLUGIN, "landscape/linear", 12)
    assert line["alpha"][0] == pytest.approx(-0.25) and line["alpha"][-1] == pytest.approx(1.25)
    assert line["loss"][5] == pytest.approx(expected, rel=1e-5)  # alpha = 1: the current weights


def test_hf_trainer_callback_logs_into_the_trainers_run(tmp_path, monkeypatch):
    pytest.importorskip("transformers")
    from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

    monkeypatch.delenv("TENSORBOARD_LOGGING_DIR", raising=False)

    class Tokens(Dataset):
        def __init__(self):
            g = torch.Generator().manual_seed(0)
            self.ids = torch.randint(1, 30, (32, 6), generator=g)

        def __len__(self):
            return len(self.ids)

        def __getitem__(self, i):
            return {"input_ids": self.ids[i], "labels": self.ids[i, 0] % 2}

    torch.manual_seed(0)
    model = BertForSequenceClassification(
        BertConfig(
            vocab_size=30,
            hidden_size=16,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=32,
            max_position_embeddings=6,
            num_labels=2,
        )
    )
    args = TrainingArguments(
        output_dir=str(tmp_path / "out"),
        max_steps=4,
        per_device_train_batch_size=8,
        save_strategy="no",
        use_cpu=True,
        disable_tqdm=True,
        report_to=["tensorboard"],
        logging_steps=2,
        dataloader_pin_memory=False,
    )
    trainer = Trainer(model=model, args=args, train_dataset=Tokens())
    callback = tbs.transformers.LandscapeCallback(every_n_steps=2, grid=3, slices=("plane", "linear"), linear_n=3)
    tensorboard = tbs.transformers.attach(trainer, callback)
    trainer.train()

    run = Run(tensorboard.logging_dir)
    assert run.plugin_tags(PLUGIN) == ["landscape/linear", "landscape/plane"]
    assert run.steps("landscape/plane") == [2, 4]
    assert "train/loss" in run.scalar_tags()  # the same run as the Trainer's own scalars
    meta, arrays = run.record(PLUGIN, "landscape/plane", 4)
    assert arrays["loss"].shape == (3, 3) and np.isfinite(arrays["loss"]).all() and meta["type"] == "plane"
    assert arrays["trajectory_steps"].tolist() == [2, 4] and arrays["trajectory"].shape == (2, 2)


def test_schedule_keeps_the_steps_of_the_checkpoints_in_its_window(tmp_path):
    """With a window of 2 checkpoints, the plane logged at step 11 holds the checkpoints of steps 7 and 11, and
    each projects where that step's weights were (the one at step 7 re-projected from its kept copy)."""
    from tb_suite.core.reader import read_records
    from tb_suite.landscape import compute, metadata
    from tb_suite.landscape.schedule import SliceSchedule

    model = mlp()
    x, y = data(16)
    schedule = SliceSchedule(loss_fn=F.cross_entropy, data=(x, y), grid=3, trajectory=2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    kept = {}
    with tbs.Writer(str(tmp_path)) as writer:
        for step in (3, 7, 11):
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
            kept[step] = {n: p.detach().clone() for n, p in model.named_parameters()}
            schedule.log(model, writer, step)
    records = read_records(tmp_path, metadata.PLUGIN_NAME)["landscape/plane"]
    assert records[3][1]["trajectory_steps"].tolist() == [3]
    assert records[7][1]["trajectory_steps"].tolist() == [3, 7]
    _, arrays = records[11]
    assert arrays["trajectory_steps"].tolist() == [7, 11]
    # oracle: the same plane computed directly from the weights kept at those steps
    expected = compute.plane(model, F.cross_entropy, (x, y), grid=3, trajectory=[kept[7], kept[11]])
    np.testing.assert_allclose(arrays["trajectory"], expected.trajectory, atol=1e-5)
