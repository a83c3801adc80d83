"""Predictions demo: classify noisy drawn shapes, logging validation predictions every epoch.

Two runs under `<logdir>/predictions/` with the same tags and steps, to overlay and diff in the tab:
- `cnn`: a small CNN trained by Lightning, logged by `tbs.lightning.PredictionsCallback` (with images);
- `mlp`: an MLP trained by a plain torch loop, logged with `tbs.log_predictions` and
  `tbs.log_confusion_matrix` through a `tbs.Writer`.
"""

from __future__ import annotations

import logging
import os
import warnings

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import tb_suite as tbs

CLASSES = ["disk", "ring", "square", "frame", "triangle", "diamond", "cross", "plus", "bar", "pillar"]
SIZE = 28
BATCH = 64


def shapes(count: int, seed: int, noise: float = 0.45) -> tuple[torch.Tensor, torch.Tensor]:
    """`count` images [N, 1, 28, 28] of the 10 shapes (random place, size, brightness, noise), labels [N]."""
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % len(CLASSES)
    rng.shuffle(labels)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    cx, cy = (rng.uniform(10, 18, (2, count, 1, 1))).astype(np.float32)
    r = rng.uniform(5, 9, (count, 1, 1)).astype(np.float32)
    dx, dy = xx - cx, yy - cy
    ax, ay = np.abs(dx), np.abs(dy)
    box = np.maximum(ax, ay)
    distance = np.hypot(dx, dy)
    masks = [
        distance <= r,  # disk
        np.abs(distance - r) < 1.3,  # ring
        box <= 0.8 * r,  # square
        np.abs(box - 0.8 * r) < 1.0,  # frame
        (ay <= r) & (ax <= (dy + r) / 2),  # triangle
        ax + ay <= r,  # diamond
        (np.abs(ax - ay) < 1.3) & (box <= r),  # cross
        ((ax < 1.3) | (ay < 1.3)) & (box <= r),  # plus
        (ay < 2.0) & (ax <= r),  # bar
        (ax < 2.0) & (ay <= r),  # pillar
    ]
    shape = np.stack(masks)[labels, np.arange(count)].astype(np.float32)
    brightness = rng.uniform(0.5, 1.0, (count, 1, 1)).astype(np.float32)
    images = shape * brightness + rng.normal(0, noise, (count, SIZE, SIZE)).astype(np.float32)
    return torch.from_numpy(images[:, None]), torch.from_numpy(labels)


def cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 7 * 7, len(CLASSES)),
    )


def mlp() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(SIZE * SIZE, 64), nn.ReLU(), nn.Linear(64, len(CLASSES)))


def _train_lightning_cnn(root: str, train: TensorDataset, val: TensorDataset, epochs: int) -> None:
    import lightning as L
    from lightning.pytorch.loggers import TensorBoardLogger

    class ShapesCNN(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = cnn()

        def forward(self, x):
            return self.net(x)

        def training_step(self, batch, batch_idx):
            x, y = batch
            loss = F.cross_entropy(self(x), y)
            self.log("train/loss", loss)
            return loss

        def validation_step(self, batch, batch_idx):
            x, y = batch
            logits = self(x)
            self.log("val/loss", F.cross_entropy(logits, y))  # val/accuracy: by log_predictions (scalars=True)
            return {"scores": logits.softmax(-1), "targets": y, "images": x.clamp(0, 1)}

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=2e-3)

    logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)  # after Lightning set its own level
    trainer = L.Trainer(
        accelerator="cpu",
        devices=1,
        max_epochs=epochs,
        logger=TensorBoardLogger(root, name="", version="cnn"),
        callbacks=[tbs.lightning.PredictionsCallback("val", class_names=CLASSES, log_images=True, scalars=True)],
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        log_every_n_steps=10,
        default_root_dir=root,
    )
    trainer.fit(
        ShapesCNN(),
        DataLoader(train, batch_size=BATCH, shuffle=True),
        DataLoader(val, batch_size=256),
    )


def _train_plain_mlp(root: str, train: TensorDataset, val: TensorDataset, epochs: int) -> None:
    model = mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    images, targets = val.tensors
    thumbnails = images.clamp(0, 1)  # log_predictions shows float images in [0, 1]
    step = 0
    with tbs.Writer(os.path.join(root, "mlp")) as writer:
        for _ in range(epochs):
            model.train()
            train_preds, train_targets = [], []
            for x, y in DataLoader(train, batch_size=BATCH, shuffle=True):
                logits = model(x)
                loss = F.cross_entropy(logits, y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                step += 1
                train_preds.append(logits.argmax(-1))
                train_targets.append(y)
                if step % 10 == 0:
                    writer.write_scalar("train/loss", loss.item(), step)
            model.eval()
            with torch.no_grad():
                logits = model(images)
            writer.write_scalar("val/loss", F.cross_entropy(logits, targets).item(), step)
            tbs.log_predictions(
                writer,
                "val",
                logits.softmax(-1),
                targets,
                step=step,
                class_names=CLASSES,
                images=thumbnails,
                scalars=True,
            )
            tbs.log_confusion_matrix(
                writer, "train", torch.cat(train_preds), torch.cat(train_targets), step=step, class_names=CLASSES
            )


def run(logdir: str, *, epochs: int = 5, train_size: int = 4000, val_size: int = 1000) -> None:
    """Write the runs `predictions/cnn` (Lightning) and `predictions/mlp` (plain torch) into `logdir`."""
    torch.manual_seed(0)
    root = os.path.join(logdir, "predictions")
    train = TensorDataset(*shapes(train_size, seed=1))
    val = TensorDataset(*shapes(val_size, seed=2))
    with warnings.catch_warnings():  # Lightning's advice for bigger jobs than this one
        warnings.filterwarnings("ignore", message=".*does not have many workers.*")
        warnings.filterwarnings("ignore", message=".*treespec.*")
        _train_lightning_cnn(root, train, val, epochs)
    _train_plain_mlp(root, train, val, epochs)
