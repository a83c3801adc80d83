"""The Lightning PredictionsCallback with real Trainers on CPU: tiny model, two epochs."""

from __future__ import annotations

import lightning as L
import pytest
import torch
import torch.nn.functional as F
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger
from torch.utils.data import DataLoader, TensorDataset

import tb_suite as tbs

PLUGIN = "tbs_predictions"
CLASSES = ["circle", "square", "cross"]
TRAIN, VAL, BATCH = 96, 40, 16  # 6 training steps per epoch; 3 validation batches (16 + 16 + 8)


def _data(count: int, seed: int) -> TensorDataset:
    generator = torch.Generator().manual_seed(seed)
    targets = torch.arange(count) % len(CLASSES)
    images = torch.randn(count, 1, 6, 6, generator=generator) * 0.5
    images[:, 0, targets, targets] += 2.0  # class k lights up pixel (k, k)
    return TensorDataset(images, targets)


class Model(L.LightningModule):
    """Returns {"scores", "targets", "images"} from validation_step, the callback's default contract."""

    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(36, len(CLASSES)))

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.log("val_loss", F.cross_entropy(logits, y))
        return {"scores": logits.softmax(-1), "targets": y, "images": x.clamp(0, 1)}

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.5)

    def train_dataloader(self):
        return DataLoader(_data(TRAIN, 0), batch_size=BATCH, shuffle=True)

    def val_dataloader(self):
        return DataLoader(_data(VAL, 1), batch_size=BATCH)


class LossOnlyModel(Model):
    """A validation_step that returns only its loss: the callback then needs predict_fn."""

    def validation_step(self, batch, batch_idx):
        x, y = batch
        return F.cross_entropy(self(x), y)


def _trainer(tmp_path, callback, *, loggers, max_epochs=2, devices=1, **kwargs) -> L.Trainer:
    return L.Trainer(
        default_root_dir=tmp_path,
        accelerator="cpu",
        devices=devices,
        max_epochs=max_epochs,
        logger=loggers,
        callbacks=[callback],
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        log_every_n_steps=1,
        num_sanity_val_steps=2,
        **kwargs,
    )


def _confusion_total(record) -> int:
    meta, arrays = record
    return int(arrays["confusion"].sum())


def test_predictions_land_in_the_loggers_run_each_epoch_after_the_sanity_check(tmp_path, read_run):
    logger = TensorBoardLogger(tmp_path, name="exp")
    callback = tbs.lightning.PredictionsCallback(class_names=CLASSES, log_images=True)
    trainer = _trainer(tmp_path, callback, loggers=logger)
    trainer.fit(Model())

    run = read_run(logger.log_dir)
    assert run.plugin_tags(PLUGIN) == ["val"]
    # 6 optimizer steps per epoch; the sanity check (global_step 0) wrote nothing.
    assert run.steps("val") == [6, 12]
    assert {"train_loss", "val_loss"} <= run.scalar_tags()  # the user's scalars, same run directory
    for step in (6, 12):
        assert _confusion_total(run.record(PLUGIN, "val", step)) == VAL


def test_predict_fn_every_n_epochs_max_samples_and_a_logger_that_is_not_first(tmp_path, read_run):
    tb_logger = TensorBoardLogger(tmp_path, name="tb")
    calls = []

    def predict_fn(module, batch):
        calls.append(len(batch[0]))
        x, y = batch
        return module(x), y  # logits are fine too

    callback = tbs.lightning.PredictionsCallback("holdout", predict_fn=predict_fn, every_n_epochs=2, max_samples=20)
    trainer = _trainer(tmp_path, callback, loggers=[CSVLogger(tmp_path), tb_logger], max_epochs=4)
    trainer.fit(LossOnlyModel())

    run = read_run(tb_logger.log_dir)
    assert run.plugin_tags(PLUGIN) == ["holdout"]
    assert run.steps("holdout") == [12, 24]  # epochs 1 and 3 (0-based) of 4
    assert _confusion_total(run.record(PLUGIN, "holdout", 24)) == 20
    assert calls == [16, 16] * 2  # once max_samples were kept, no more batches were run


class NoTargetsModel(Model):
    """Validation batches without targets, a validation_step returning only its logits."""

    def validation_step(self, batch, batch_idx):
        (x,) = batch
        return self(x)

    def val_dataloader(self):
        return DataLoader(TensorDataset(_data(VAL, 1).tensors[0]), batch_size=BATCH)


def test_outputs_without_targets_raise_a_clear_error(tmp_path):
    callback = tbs.lightning.PredictionsCallback()
    trainer = _trainer(tmp_path, callback, loggers=TensorBoardLogger(tmp_path), max_epochs=1)
    with pytest.raises(KeyError, match="no targets.*predict_fn"):
        trainer.fit(NoTargetsModel())


def test_a_trainer_without_a_tensorboard_logger_is_refused(tmp_path):
    trainer = _trainer(tmp_path, tbs.lightning.PredictionsCallback(), loggers=CSVLogger(tmp_path), max_epochs=1)
    with pytest.raises(RuntimeError, match="TensorBoardLogger"):
        trainer.fit(Model())


def test_bad_options_are_refused_when_the_callback_is_made():
    with pytest.raises(ValueError, match="every_n_epochs"):
        tbs.lightning.PredictionsCallback(every_n_epochs=0)
    with pytest.raises(ValueError, match="max_samples"):
        tbs.lightning.PredictionsCallback(max_samples=0)
    with pytest.raises(ValueError, match="tag"):
        tbs.lightning.PredictionsCallback("")


def test_ddp_ranks_are_gathered_and_only_rank_zero_writes(tmp_path, read_run):
    logger = TensorBoardLogger(tmp_path, name="ddp")
    callback = tbs.lightning.PredictionsCallback(class_names=CLASSES)
    trainer = _trainer(tmp_path, callback, loggers=logger, max_epochs=1, strategy="ddp_fork", devices=2)
    run_dir = logger.log_dir  # fixes the version before the ranks fork
    trainer.fit(Model())

    run = read_run(run_dir)
    assert run.steps("val") == [3]  # 96 samples / 2 ranks / 16 per batch
    assert _confusion_total(run.record(PLUGIN, "val", 3)) == VAL  # both ranks' 20 samples
    assert [p.name for p in (tmp_path / "ddp").iterdir()] == ["version_0"]
    assert len(list((tmp_path / "ddp" / "version_0").glob("events.out.tfevents.*"))) == 2  # Lightning's, ours
