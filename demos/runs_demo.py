"""Runs demo: a learning-rate x seed sweep written with torch's own SummaryWriter and add_hparams (not through
tb-suite), plus experiment folders in the `config.json` + `logs/metrics.csv` + `checkpoints/` layout imported
with `tb-suite import`.

The sweep (`<logdir>/runs/sweep/lr*_seed*`) trains a small MLP classifier on two noisy spirals: 3 learning rates
x 2 seeds x 2 widths (10 epochs of 32 steps), logging train/loss, val/loss, val/accuracy, lr (cosine schedule), grad_norm, throughput
and epoch. The imported folders (`<logdir>/runs/imported/exp_*`) are written as a script outside TensorBoard
would write them, then imported. In the Runs tab: group by `lr` (mean +- std over seeds), filter `width == 32`
or `lr < 0.05`, colour the curves by `lr`, and open a run's dashboard.
"""

from __future__ import annotations

import csv
import json
import math
import os
import tempfile
import time

import torch

LRS = (0.3, 0.1, 0.03)
SEEDS = (0, 1)
WIDTHS = (16, 32)
EPOCHS = 10
BATCH = 32


def _spirals(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Two interleaved spiral arms (1.25 turns), with noise."""
    generator = torch.Generator().manual_seed(seed)
    t = torch.rand(n, generator=generator) * 2.5 * math.pi
    label = torch.randint(0, 2, (n,), generator=generator)
    angle = t + label * math.pi
    x = torch.stack([t * torch.cos(angle), t * torch.sin(angle)], 1) / 4
    return x + 0.1 * torch.randn(n, 2, generator=generator), label


def _train(lr: float, seed: int, width: int, log) -> None:
    """Trains one MLP; `log(step, {tag: value})` receives every scalar."""
    torch.manual_seed(seed)
    x, y = _spirals(1024, seed)
    vx, vy = _spirals(512, 100 + seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(2, width),
        torch.nn.Tanh(),
        torch.nn.Linear(width, width),
        torch.nn.Tanh(),
        torch.nn.Linear(width, 2),
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    steps_per_epoch = len(x) // BATCH
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, EPOCHS * steps_per_epoch)
    step = 0
    for epoch in range(EPOCHS):
        order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed * 100 + epoch))
        for i in range(steps_per_epoch):
            began = time.perf_counter()
            index = order[i * BATCH : (i + 1) * BATCH]
            loss = torch.nn.functional.cross_entropy(model(x[index]), y[index])
            optimizer.zero_grad()
            loss.backward()
            grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
            optimizer.step()
            log(
                step,
                {
                    "train/loss": loss.item(),
                    "lr": schedule.get_last_lr()[0],
                    "grad_norm": grad_norm.item(),
                    "throughput": BATCH / max(time.perf_counter() - began, 1e-6),
                    "epoch": epoch,
                },
            )
            schedule.step()
            step += 1
        with torch.no_grad():
            logits = model(vx)
            log(
                step - 1,
                {
                    "val/loss": torch.nn.functional.cross_entropy(logits, vy).item(),
                    "val/accuracy": (logits.argmax(1) == vy).float().mean().item(),
                },
            )


def _sweep(root: str) -> None:
    from torch.utils.tensorboard import SummaryWriter

    for lr in LRS:
        for seed in SEEDS:
            for width in WIDTHS:
                writer = SummaryWriter(os.path.join(root, f"lr{lr}_w{width}_seed{seed}"))
                last = {}

                def log(step, values, writer=writer, last=last):
                    for tag, value in values.items():
                        writer.add_scalar(tag, value, step)
                    last.update(values)

                _train(lr, seed, width, log)
                writer.add_hparams(
                    {"lr": lr, "seed": seed, "width": width, "optimizer": "sgd"},
                    {"hparam/val_accuracy": last["val/accuracy"]},
                )
                writer.close()


def _experiment_folders(root: str) -> list[str]:
    """Folders as a plain training script writes them: config.json, logs/metrics.csv, checkpoints/."""
    folders = []
    for name, lr, width in (("exp_small", 0.1, 8), ("exp_large", 0.1, 64)):
        folder = os.path.join(root, name)
        os.makedirs(os.path.join(folder, "logs"))
        os.makedirs(os.path.join(folder, "checkpoints"))
        config = {"model": {"width": width, "activation": "tanh"}, "optimizer": {"name": "sgd", "lr": lr}, "seed": 0}
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump(config, f, indent=1)
        rows = []

        def log(step, values, rows=rows):
            rows.append({"step": step, "wall_time": time.time(), **values})

        _train(lr, 0, width, log)
        columns = [
            "step",
            "wall_time",
            "epoch",
            "train/loss",
            "val/loss",
            "val/accuracy",
            "lr",
            "grad_norm",
            "throughput",
        ]
        with open(os.path.join(folder, "logs", "metrics.csv"), "w", newline="") as f:
            out = csv.DictWriter(f, columns)
            out.writeheader()
            out.writerows(rows)
        torch.save({"width": width}, os.path.join(folder, "checkpoints", "final.pt"))
        folders.append(folder)
    return folders


def run(logdir: str) -> None:
    from tb_suite.runs.importers import import_paths

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # models this small only lose from more threads (they spin on a busy machine)
    try:
        _sweep(os.path.join(logdir, "runs", "sweep"))
        with tempfile.TemporaryDirectory() as tmp:
            import_paths(_experiment_folders(tmp), os.path.join(logdir, "runs", "imported"))
    finally:
        torch.set_num_threads(threads)
