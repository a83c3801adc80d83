"""Layers demo: three runs that show the Layers tab's diagnoses on purpose.

`<logdir>/layers/healthy_cnn`: a small CNN learns to tell stripes from checkerboards (Adam, lr 1e-3), with
the first conv's feature maps; nothing should be flagged beyond a few update ratios early on.
`<logdir>/layers/deep_sigmoid_mlp`: 20 sigmoid layers trained with SGD: the gradient norm shrinks layer after
layer, so the first layers are flagged as vanishing (see the gradient-flow bars and the heatmap).
`<logdir>/layers/exploding_lr`: the same CNN with SGD at lr 1 (momentum 0.9): gradients explode by step 10 and a
NaN appears a few steps later; `check_nonfinite=True` reports the step and module where it first did (the banner).
Each logs every 5 steps with `tbs.LayerMonitor` and the loss to the Scalars tab.
"""

from __future__ import annotations

import math
import os
from collections import OrderedDict

import torch

import tb_suite as tbs

STEPS = 120
EVERY = 5


def images(batch: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Noisy 16x16 stripes (class 0), checkerboards (1) or blobs (2)."""
    y = torch.randint(0, 3, (batch,), generator=generator)
    grid = torch.arange(16.0)
    stripes = torch.sin(grid * math.pi / 2).expand(16, 16)
    checker = torch.sin(grid * math.pi / 2)[:, None] * torch.sin(grid * math.pi / 2)[None, :]
    blob = torch.exp(-((grid[:, None] - 8) ** 2 + (grid[None, :] - 8) ** 2) / 20)
    x = torch.stack([stripes, checker, blob])[y][:, None] + 0.5 * torch.randn(batch, 1, 16, 16, generator=generator)
    return x, y


def cnn() -> torch.nn.Module:
    return torch.nn.Sequential(
        OrderedDict(
            [
                ("conv1", torch.nn.Conv2d(1, 8, 3, padding=1)),
                ("relu1", torch.nn.ReLU()),
                ("pool1", torch.nn.MaxPool2d(2)),
                ("conv2", torch.nn.Conv2d(8, 16, 3, padding=1)),
                ("relu2", torch.nn.ReLU()),
                ("pool2", torch.nn.MaxPool2d(2)),
                ("flatten", torch.nn.Flatten()),
                ("fc1", torch.nn.Linear(16 * 4 * 4, 32)),
                ("relu3", torch.nn.ReLU()),
                ("fc2", torch.nn.Linear(32, 3)),
            ]
        )
    )


def sigmoid_mlp(depth: int = 20, width: int = 32) -> torch.nn.Module:
    layers: list[tuple[str, torch.nn.Module]] = []
    for i in range(depth):
        layers += [(f"fc{i}", torch.nn.Linear(256 if i == 0 else width, width)), (f"sigmoid{i}", torch.nn.Sigmoid())]
    return torch.nn.Sequential(
        OrderedDict([("flatten", torch.nn.Flatten()), *layers, ("out", torch.nn.Linear(width, 3))])
    )


def train(run_dir: str, model: torch.nn.Module, optimizer: torch.optim.Optimizer, **monitor_options) -> None:
    generator = torch.Generator().manual_seed(0)
    with tbs.Writer(run_dir) as writer, tbs.LayerMonitor(model, writer, every=EVERY, **monitor_options) as monitor:
        for step in range(STEPS):
            x, y = images(32, generator)
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            monitor.step(step)
            if step % EVERY == 0:
                writer.write_scalar("loss", loss.item() if math.isfinite(loss.item()) else float("nan"), step)


def run(logdir: str) -> None:
    root = os.path.join(logdir, "layers")
    torch.manual_seed(0)
    model = cnn()
    train(
        os.path.join(root, "healthy_cnn"),
        model,
        torch.optim.Adam(model.parameters(), lr=1e-3),
        feature_maps=["conv1", "conv2"],
    )
    torch.manual_seed(0)
    model = sigmoid_mlp()
    train(os.path.join(root, "deep_sigmoid_mlp"), model, torch.optim.SGD(model.parameters(), lr=0.1))
    torch.manual_seed(0)
    model = cnn()
    train(
        os.path.join(root, "exploding_lr"),
        model,
        torch.optim.SGD(model.parameters(), lr=1.0, momentum=0.9),
        feature_maps=["conv1"],
        check_nonfinite=True,
    )
