"""Tiny models and training loops shared by the layers tests."""

from __future__ import annotations

import torch


def small_cnn() -> torch.nn.Module:
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(4, 6, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(6 * 4 * 4, 3),
    )


def deep_sigmoid_mlp(depth: int = 20, width: int = 16) -> torch.nn.Module:
    layers = [torch.nn.Linear(8, width), torch.nn.Sigmoid()]
    for _ in range(depth - 1):
        layers += [torch.nn.Linear(width, width), torch.nn.Sigmoid()]
    return torch.nn.Sequential(*layers, torch.nn.Linear(width, 1))


def train(model, steps: int, *, monitor=None, lr: float = 0.05, seed: int = 0, shape=(8, 1, 8, 8), classes: int = 3):
    """SGD on fixed random data; returns each step's (output, [grads]) for comparisons."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    trace = []
    for step in range(steps):
        x = torch.randn(*shape, generator=generator)
        y = torch.randint(0, classes, (shape[0],), generator=generator)
        optimizer.zero_grad()
        out = model(x)
        loss = torch.nn.functional.cross_entropy(out, y) if classes > 1 else out.pow(2).mean()
        loss.backward()
        trace.append((out.detach().clone(), [p.grad.clone() for p in model.parameters()]))
        optimizer.step()
        if monitor is not None:
            monitor.step(step)
    return trace


def write_monitored_run(logdir, steps: int = 12, every: int = 3, *, seed: int = 0, lr: float = 0.05) -> None:
    """A small CNN trained with a LayerMonitor (feature maps of the first conv) into `logdir`."""
    import tb_suite as tbs

    torch.manual_seed(seed)
    model = small_cnn()
    with tbs.Writer(str(logdir)) as writer, tbs.LayerMonitor(model, writer, every=every, feature_maps=["0"]) as monitor:
        train(model, steps, monitor=monitor, lr=lr, seed=seed)
