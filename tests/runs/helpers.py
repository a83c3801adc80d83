"""Logdirs for the runs tests, written by torch's own SummaryWriter (not tb-suite) and by tb-suite."""

from __future__ import annotations

import math
from pathlib import Path


def lr_loss(lr: float, seed: int, step: int) -> float:
    """A deterministic decaying loss curve per (lr, seed), with a bump so best != final."""
    return 2.0 * math.exp(-lr * 40 * step / 100) + 0.01 * seed + (0.05 if step == 90 else 0.0)


def write_torch_sweep(root: Path, lrs=(0.1, 0.01), seeds=(0, 1), steps=range(0, 100, 10)) -> list[str]:
    """One run per (lr, seed): scalars loss / accuracy / epoch through torch SummaryWriter, hparams through
    add_hparams (its default child run)."""
    from torch.utils.tensorboard import SummaryWriter

    runs = []
    for lr in lrs:
        for seed in seeds:
            name = f"lr{lr}_seed{seed}"
            writer = SummaryWriter(str(root / name))
            for step in steps:
                loss = lr_loss(lr, seed, step)
                writer.add_scalar("train/loss", loss, step)
                writer.add_scalar("val/accuracy", 1 - loss / 3, step)
                writer.add_scalar("epoch", step // 30, step)
            writer.add_hparams({"lr": lr, "seed": seed, "optimizer": "sgd"}, {"hparam/final_loss": loss})
            writer.close()
            runs.append(name)
    return runs
