"""`tbs.landscape.plane` vs `loss-landscapes` 3.0.6 `random_plane`, one thread (issues 4 and 15).

    .venv/bin/python benchmarks/bench_landscape.py [--grid 25] [--cnn-grid 25] [--rounds 5] [--cnn-rounds 5]
                                                   [--skip-cnn] [--skip-ranks]

Interleaved rounds (random_plane, ours, floor), median and min-max:
- MLP 784-128-64-10, batch 1,024: time ratio ours / random_plane (goal <= 0.1) and max |difference| at the
  points random_plane evaluates, with its own directions (goal <= 1e-6).
- CNN (2 conv + linear), 256 images 1x28x28: same (goal ratio <= 0.15).
- The floor: grid x grid forwards of the layers after the first (and the loss) on the first layer's output
  computed once, one point at a time: what evaluating the plane costs with the first layer shortcut but
  without batching points; ours / floor.
- Two gloo ranks (one thread each) vs one on the MLP plane, interleaved spawns: speed-up (goal >= 1.8x).
- Filter-normalizing one direction on the MLP: the package's loop vs ours (vectorized per tensor): ratio.
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import tempfile
import time
from collections.abc import Callable

import loss_landscapes
import torch
import torch.multiprocessing as mp
import torch.nn.functional as F
from loss_landscapes.metrics import Loss
from loss_landscapes.model_interface.model_parameters import orthogonal_to, rand_u_like
from loss_landscapes.model_interface.model_wrapper import wrap_model
from timing import interleaved, load_average, print_comparison, ratios, spread
from torch import nn

from tb_suite.landscape import compute


def mlp() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10)
    ).eval()


def cnn() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 7 * 7, 10),
    ).eval()


def batch(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return torch.randn(n, 1, 28, 28, generator=g), torch.randint(0, 10, (n,), generator=g)


def package_directions(model: nn.Module, steps: int, seed: int) -> list[dict]:
    """The per-step directions random_plane draws after torch.manual_seed(seed), built with its own code."""
    torch.manual_seed(seed)
    start = wrap_model(copy.deepcopy(model)).get_module_parameters()
    one = rand_u_like(start)
    two = orthogonal_to(one)
    for d in (one, two):
        d.filter_normalize_(start)
        d.mul_((start.model_norm() / steps) / d.model_norm())
    names = [n for n, _ in model.named_parameters()]
    return [dict(zip(names, (t.clone() for t in d.parameters))) for d in (one, two)]


def after_first_layer(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, first: int, points: int
) -> Callable[[], None]:
    """The floor: `points` forwards of model[first + 1:] and the loss on model[:first + 1](x), computed once
    (channels-last activations for a CNN, as ours uses)."""
    rest = model[first + 1 :]
    with torch.no_grad():
        z = model[: first + 1](x)
        if z.dim() == 4:
            z = z.contiguous(memory_format=torch.channels_last)

    def run() -> None:
        with torch.no_grad():
            for _ in range(points):
                F.cross_entropy(rest(z), y)

    return run


def plane_vs_package(name: str, model: nn.Module, data, first: int, grid: int, goal: float, rounds: int) -> None:
    x, y = data
    seed = 0
    their_values = []

    def theirs():
        torch.manual_seed(seed)
        their_values[:] = [
            loss_landscapes.random_plane(
                model, Loss(F.cross_entropy, x, y), distance=1, steps=grid, normalization="filter", deepcopy_model=True
            )
        ]

    times = interleaved(
        {
            "random_plane": theirs,
            "tbs plane": lambda: compute.plane(model, F.cross_entropy, (x, y), grid=grid),
            "layers after the first": after_first_layer(model, x, y, first, grid * grid),
        },
        rounds,
    )
    # values: our plane through the package's directions at the points it evaluates (even rows shifted)
    d1, d2 = package_directions(model, grid, seed)
    ours = compute.plane(
        model,
        F.cross_entropy,
        (x, y),
        grid=grid + 1,
        span=(-grid / 2, grid / 2),
        directions=(d1, d2),
        normalization="none",
    ).losses
    values = their_values[0]
    diff = max(abs(ours[j + 1 if i % 2 == 0 else j, i] - values[i, j]) for i in range(grid) for j in range(grid))
    print(f"{name}: plane(grid={grid}), {rounds} interleaved rounds, one thread")
    print_comparison(times, "random_plane", "tbs plane", "layers after the first", f"(goal <= {goal})", time_ratio=True)
    print(f"  max |diff| vs random_plane {diff:.2e} (goal <= 1e-6)", flush=True)


def _rank(rank: int, world: int, init: str, grid: int, out: str) -> None:
    import torch.distributed as dist

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init}", rank=rank, world_size=world)
    model, data = mlp(), batch(1024)
    compute.plane(model, F.cross_entropy, data, grid=grid)  # warm-up: the first run pays page faults
    dist.barrier()
    start = time.perf_counter()
    compute.plane(model, F.cross_entropy, data, grid=grid)
    dist.barrier()
    if rank == 0:
        with open(out, "w") as f:
            f.write(str(time.perf_counter() - start))
    dist.destroy_process_group()


def ranks(grid: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        runs = iter(range(10**9))

        def spawn(world: int) -> float:
            run = next(runs)
            out = os.path.join(tmp, f"t{run}")
            mp.spawn(_rank, args=(world, os.path.join(tmp, f"init{run}"), grid, out), nprocs=world, join=True)
            return float(open(out).read())

        # each spawn times one plane after a warm-up one; the timer returns that time (not the spawn's)
        times = interleaved(
            {"1 rank": lambda: spawn(1), "2 gloo ranks": lambda: spawn(2)}, rounds, timer=lambda fn: fn()
        )
    print(f"MLP plane(grid={grid}) on 1 rank vs 2 gloo ranks (one thread each), {rounds} interleaved spawns:")
    for name, values in times.items():
        print(f"  {name:<12}  {spread(values)}")
    print(f"  speed-up: {spread(ratios(times['1 rank'], times['2 gloo ranks']), 'x', 2)} (goal >= 1.8x)")
    print(f"  {load_average()}", flush=True)


def filter_normalization() -> None:
    model = mlp()
    start = wrap_model(copy.deepcopy(model)).get_module_parameters()
    weights = {n: p.detach() for n, p in model.named_parameters()}

    def theirs():
        d = rand_u_like(start)
        t = time.perf_counter()
        d.filter_normalize_(start)
        return time.perf_counter() - t

    def ours():
        d = {n: torch.rand_like(w) for n, w in weights.items()}
        t = time.perf_counter()
        compute.normalize_direction(d, weights, "filter", ignore=None)
        return time.perf_counter() - t

    t_theirs = statistics.median(theirs() for _ in range(20))
    t_ours = statistics.median(ours() for _ in range(20))
    print(
        f"filter normalization of one MLP direction: package {t_theirs * 1e3:.2f} ms, ours {t_ours * 1e3:.2f} ms"
        f" -> ratio {t_ours / t_theirs:.3f} ({t_theirs / t_ours:.0f}x faster)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--grid", type=int, default=25)
    parser.add_argument("--cnn-grid", type=int, default=25)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cnn-rounds", type=int, default=5)
    parser.add_argument("--skip-cnn", action="store_true")
    parser.add_argument("--skip-ranks", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    plane_vs_package("MLP 784-128-64-10, batch 1024", mlp(), batch(1024), 1, args.grid, 0.1, args.rounds)
    if not args.skip_cnn:
        plane_vs_package(
            "CNN 2 conv + linear, 256 x 1x28x28", cnn(), batch(256), 0, args.cnn_grid, 0.15, args.cnn_rounds
        )
    if not args.skip_ranks:
        ranks(args.grid, args.rounds)
    filter_normalization()


if __name__ == "__main__":
    main()
