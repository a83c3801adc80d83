"""Tiny models and data shared by the landscape tests (importable by spawned processes too)."""

from __future__ import annotations

import torch
from torch import nn


def mlp(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 3))


def cnn(seed: int = 0, batchnorm: bool = True) -> nn.Module:
    torch.manual_seed(seed)
    norm = nn.BatchNorm2d(4) if batchnorm else nn.Identity()
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        norm,
        nn.ReLU(),
        nn.Conv2d(4, 4, 3, stride=2),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(4 * 3 * 3, 3),
    )


class TinyLM(nn.Module):
    """Embedding tied to the output layer: the first-layer shortcut must still move the shared weight."""

    def __init__(self, vocab: int = 11, dim: int = 6):
        super().__init__()
        torch.manual_seed(0)
        self.embed = nn.Embedding(vocab, dim)
        self.mix = nn.Linear(dim, dim)
        self.out = nn.Linear(dim, vocab, bias=False)
        self.out.weight = self.embed.weight

    def forward(self, ids):
        return self.out(torch.tanh(self.mix(self.embed(ids)))).mean(1)


def data(n: int = 32, shape=(12,), classes: int = 3, seed: int = 1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, *shape, generator=g), torch.randint(0, classes, (n,), generator=g)


def state(model: nn.Module) -> dict:
    return {k: v.detach().clone() for k, v in model.state_dict(keep_vars=True).items()}


def assert_same_state(model: nn.Module, before: dict) -> None:
    after = model.state_dict(keep_vars=True)
    assert before.keys() == after.keys()
    for k, v in before.items():
        assert torch.equal(after[k].detach(), v), k
        # bit-exact, -0.0 included
        assert after[k].detach().reshape(-1).view(torch.uint8).equal(v.reshape(-1).view(torch.uint8)), k
