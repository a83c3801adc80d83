"""Landscape demo: a small MLP learns two interleaved spirals; loss-landscape slices every few epochs.

Two runs under `<logdir>/landscape/`, same tags and steps, to compare side by side in the tab:
- `sgd_lr0.3` and `sgd_lr0.03`: plain torch loops that log, every 2 epochs, a 2D filter-normalized plane
  (with the training trajectory projected onto it), the line from the initial to the current weights,
  and axis-parallel slices of four parameters, all with `tbs.log_slice`.
"""

from __future__ import annotations

import copy
import math
import os

import torch
import torch.nn.functional as F
from torch import nn

import tb_suite as tbs
from tb_suite import landscape

AXES = ["0.weight[0, 0]", "0.weight[5, 1]", "2.weight[3, 7]", "4.bias[1]"]


def spirals(count: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 2, (count,), generator=g)
    t = torch.rand(count, generator=g) * 3 * math.pi + 0.5
    angle = t + labels * math.pi
    points = torch.stack([t * torch.cos(angle), t * torch.sin(angle)], 1) / 5
    return points + 0.05 * torch.randn(count, 2, generator=g), labels


def _train(run_dir: str, lr: float, epochs: int, x: torch.Tensor, y: torch.Tensor, held) -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 2))
    initial = copy.deepcopy(model.state_dict())
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    trajectory = []
    with tbs.Writer(run_dir) as writer:
        for epoch in range(1, epochs + 1):
            for xb, yb in zip(x.split(64), y.split(64)):
                optimizer.zero_grad()
                loss = F.cross_entropy(model(xb), yb)
                loss.backward()
                optimizer.step()
            writer.write_scalar("train/loss", loss.item(), epoch)
            trajectory.append(copy.deepcopy(model.state_dict()))
            if epoch % 2:
                continue
            plane = landscape.plane(model, F.cross_entropy, held, grid=25, span=(-1, 1), trajectory=trajectory)
            tbs.log_slice(writer, "landscape/plane", plane, step=epoch)
            line = landscape.linear(model, F.cross_entropy, held, start=initial, end=model.state_dict(), n=41)
            tbs.log_slice(writer, "landscape/init_to_now", line, step=epoch)
            axes = landscape.axis(model, F.cross_entropy, held, params=AXES, bounds=(-2, 2), n=31)
            tbs.log_slice(writer, "landscape/axes", axes, step=epoch)


def run(logdir: str, *, epochs: int = 16) -> None:
    """Write the runs `landscape/sgd_lr0.3` and `landscape/sgd_lr0.03` into `logdir`."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a model this small only loses from more threads (they spin on a busy machine)
    try:
        x, y = spirals(2048, seed=0)
        held_x, held_y = spirals(1024, seed=1)
        held = list(zip(held_x.split(512), held_y.split(512)))  # two batches: the sample-weighted mean
        for lr in (0.3, 0.03):
            _train(os.path.join(logdir, "landscape", f"sgd_lr{lr}"), lr, epochs, x, y, held)
    finally:
        torch.set_num_threads(threads)
