"""LayerMonitor's cost, against training without it and against the histograms a user would log instead.

Prints, each measured in this run (alternating; part 1 per round, parts 2-3 best of `--repeats`; one torch
thread unless `--threads`):
  1. training throughput of a small CNN, a small transformer and a model of 1,000 tiny modules (500
     Linear 16x16 + 500 ReLU) on CPU with `LayerMonitor(every=100)` as a ratio of without (goal >= 0.98x),
     per round of an interleaved pair, median and min-max;
  2. the extra time of a logged step, in forward passes of the model (goal <= 1);
  3. per logged step, against torch `SummaryWriter.add_histogram` for every parameter and its gradient:
     time in the training loop (goal >= 10x faster) and bytes written (goal >= 10x smaller);
  4. a 1,000-layer x 500-step run in a real `tensorboard`: the `series` route (cold and warm; goal <= 200 ms)
     and, in headless Chromium, the layer x step heatmap's data-arrival-to-drawn time (goal <= 100 ms).

    .venv/bin/python benchmarks/bench_layers.py [--repeats 3] [--threads 1] [--skip-browser]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "browser")]

from timing import MIN_ROUNDS, load_average, ratios, spread  # noqa: E402

import tb_suite as tbs  # noqa: E402

EVERY = 100


def cnn() -> torch.nn.Module:
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 16, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(32 * 8 * 8, 64),
        torch.nn.ReLU(),
        torch.nn.Linear(64, 10),
    )


class Transformer(torch.nn.Module):
    def __init__(self, vocab: int = 256, d: int = 64):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, d)
        layer = torch.nn.TransformerEncoderLayer(d, 4, 128, dropout=0.0, batch_first=True)
        self.encoder = torch.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = torch.nn.Linear(d, vocab)

    def forward(self, ids):
        return self.head(self.encoder(self.embed(ids)))


def tiny(blocks: int = 500) -> torch.nn.Module:
    return torch.nn.Sequential(*(m for _ in range(blocks) for m in (torch.nn.Linear(16, 16), torch.nn.ReLU())))


def batches(kind: str, count: int):
    g = torch.Generator().manual_seed(0)
    if kind == "tiny":
        return [(torch.randn(32, 16, generator=g), torch.randn(32, 16, generator=g)) for _ in range(count)]
    if kind == "cnn":
        return [
            (torch.randn(32, 3, 32, 32, generator=g), torch.randint(0, 10, (32,), generator=g)) for _ in range(count)
        ]
    return [
        (torch.randint(0, 256, (16, 32), generator=g), torch.randint(0, 256, (16, 32), generator=g))
        for _ in range(count)
    ]


def make(kind: str) -> torch.nn.Module:
    torch.manual_seed(0)
    return {"cnn": cnn, "transformer": Transformer, "tiny": tiny}[kind]()


def loss_of(model, x, y):
    out = model(x)
    if out.shape == y.shape and y.is_floating_point():
        return torch.nn.functional.mse_loss(out, y)
    return torch.nn.functional.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))


def train(model, data, *, monitor=None, after=None) -> float:
    """Seconds for one pass over `data` (zero_grad, forward, backward, step, then the monitor / `after`)."""
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    start = time.perf_counter()
    for step, (x, y) in enumerate(data):
        opt.zero_grad()
        loss_of(model, x, y).backward()
        opt.step()
        if monitor is not None:
            monitor.step(step)
        if after is not None:
            after(step)
    return time.perf_counter() - start


def dir_bytes(path) -> int:
    return sum(os.path.getsize(os.path.join(r, f)) for r, _, files in os.walk(path) for f in files)


def throughput(kind: str, steps: int, repeats: int) -> None:
    data = batches(kind, steps)
    model = make(kind)
    train(model, data[:5])  # warm-up
    plain, watched = [], []
    for _ in range(max(repeats, MIN_ROUNDS)):
        plain.append(train(model, data))
        with tempfile.TemporaryDirectory() as logdir, tbs.Writer(logdir) as writer:
            with tbs.LayerMonitor(model, writer, every=EVERY) as monitor:
                watched.append(train(model, data, monitor=monitor))
    per_round = ratios(plain, watched)
    ratio = statistics.median(per_round)
    print(
        f"  {kind}: {steps} steps, without {spread(plain)}, with LayerMonitor(every={EVERY}) {spread(watched)}: "
        f"throughput {spread(per_round, 'x')} (goal >= 0.98x) -> {'met' if ratio >= 0.98 else 'NOT met'}"
    )
    print(f"  {load_average()}", flush=True)


def logged_step(kind: str, repeats: int, count: int = 20) -> None:
    data = batches(kind, count)
    model = make(kind)
    train(model, data[:3])
    forward = []
    with torch.no_grad():
        for x, _ in data:
            t = time.perf_counter()
            model(x)
            forward.append(time.perf_counter() - t)
    fwd = statistics.median(forward)
    plain, ours, same, baseline = [], [], [], []
    ours_bytes = same_bytes = base_bytes = 0
    from torch.utils.tensorboard import SummaryWriter

    for _ in range(repeats):
        plain.append(train(model, data) / count)
        with tempfile.TemporaryDirectory() as logdir:
            with tbs.Writer(logdir) as writer, tbs.LayerMonitor(model, writer, every=1) as monitor:
                ours.append(train(model, data, monitor=monitor) / count)
            ours_bytes = dir_bytes(logdir) / count
        with tempfile.TemporaryDirectory() as logdir:  # what the baseline records: weights and gradients
            with (
                tbs.Writer(logdir) as writer,
                tbs.LayerMonitor(model, writer, every=1, activations=False, updates=False) as monitor,
            ):
                same.append(train(model, data, monitor=monitor) / count)
            same_bytes = dir_bytes(logdir) / count
        with tempfile.TemporaryDirectory() as logdir:
            sw = SummaryWriter(logdir)
            named = list(model.named_parameters())

            def histograms(step):
                for name, p in named:
                    sw.add_histogram(name, p, step)
                    sw.add_histogram(f"{name}.grad", p.grad, step)

            baseline.append(train(model, data, after=histograms) / count)
            sw.close()
            base_bytes = dir_bytes(logdir) / count
    step = min(plain)
    ours_extra = max(min(ours) - step, 1e-9)
    base_extra = min(baseline) - step
    layers = len(tbs.layers.select_layers(model))
    print(
        f"  {kind} ({layers} layers, {sum(p.numel() for p in model.parameters()):,} parameters): forward {fwd * 1e3:.2f} ms, "
        f"train step {step * 1e3:.2f} ms"
    )
    print(
        f"    logged step extra {ours_extra * 1e3:.2f} ms = {ours_extra / fwd:.2f} forward passes (goal <= 1) "
        f"-> {'met' if ours_extra <= fwd else 'NOT met'}"
    )
    print(
        f"    add_histogram for {len(named)} parameters + gradients: {base_extra * 1e3:.2f} ms, {base_bytes / 1024:.1f} KiB per logged step"
    )
    print(
        f"    LayerMonitor (activations, gradients, weights, updates, diagnoses): {ours_extra * 1e3:.2f} ms, "
        f"{ours_bytes / 1024:.1f} KiB per logged step"
    )
    print(
        f"    -> {base_extra / ours_extra:.1f}x faster (goal >= 10x), records {base_bytes / ours_bytes:.1f}x smaller (goal >= 10x)"
    )
    same_extra = max(min(same) - step, 1e-9)
    print(
        f"    LayerMonitor(activations=False, updates=False), the baseline's content: {same_extra * 1e3:.2f} ms, "
        f"{same_bytes / 1024:.1f} KiB -> {base_extra / same_extra:.1f}x faster, {base_bytes / same_bytes:.1f}x smaller"
    )


def big_run(logdir: Path, layers: int, steps: int, bins: int = 16) -> None:
    """`layers` x `steps` synthetic records (what a 1,000-layer monitor writes), through the same writer path."""
    from tb_suite.layers import analysis
    from tb_suite.layers import metadata as md
    from tb_suite.layers.summary import write_layer_record

    rng = np.random.default_rng(0)
    names = [f"blocks.{i // 4}.{['fc1', 'act', 'fc2', 'norm'][i % 4]}" for i in range(layers)]
    types = [["Linear", "GELU", "Linear", "LayerNorm"][i % 4] for i in range(layers)]
    # as a monitor writes them: weight and bias of every layer but the activations
    param_layer = np.repeat([i for i in range(layers) if types[i] != "GELU"], 2).astype(np.int32)
    param_names = md.join_names(["weight", "bias"] * (len(param_layer) // 2))
    order = np.arange(layers, dtype=np.int32)
    with tbs.Writer(str(logdir)) as writer:
        for s in range(steps):
            stats = {name: rng.random(layers).astype(np.float32) for name in md.STATS}
            stats["grad_norm"] = (10 ** rng.uniform(-6, 1, layers)).astype(np.float32)
            stats["act_nonfinite"][:] = 0
            stats["grad_nonfinite"][:] = 0
            hists = {kind: rng.dirichlet(np.ones(bins), layers).astype(np.float32) for kind in md.KINDS}
            write_layer_record(
                writer,
                "layers",
                s * 10,
                names=names,
                types=types,
                bins=bins,
                stats=stats,
                hists=hists,
                diagnoses=analysis.diagnose(stats, names, s * 10, analysis.Thresholds()),
                extra_meta={"every": 10, "thresholds": analysis.Thresholds().as_dict(), "feature_maps": []},
                extra_arrays={
                    md.ORDER: order,
                    md.PARAM_LAYER: param_layer,
                    md.PARAM_NAMES: param_names,
                    md.PARAM_UPDATE_RATIO: rng.random(len(param_layer)).astype(np.float32),
                },
            )


def thousand_layers(skip_browser: bool, layers: int = 1000, steps: int = 500) -> None:
    from conftest import run_tensorboard, wait_for

    with tempfile.TemporaryDirectory() as tmp:
        logdir = Path(tmp) / "logs"
        t = time.perf_counter()
        big_run(logdir / "big", layers, steps)
        print(
            f"  wrote {layers} layers x {steps} steps ({dir_bytes(logdir) / 2**20:.0f} MiB) in {time.perf_counter() - t:.1f} s"
        )
        with run_tensorboard(logdir, load_fast=True, tmp_path=Path(tmp)) as tb:
            tags = wait_for(
                lambda: (
                    (t := tb.get_json("/data/plugin/tbs_layers/tags"))
                    and len(t.get("big", {}).get("layers", {}).get("steps", [])) == steps
                    and t
                ),
                timeout=300,
            )
            del tags
            for label, stat in (
                ("cold", "grad_norm"),
                ("warm", "grad_norm"),
                ("cold, another statistic", "update_ratio"),
            ):
                t = time.perf_counter()
                status, body, _ = tb.get(f"/data/plugin/tbs_layers/series?run=big&tag=layers&stat={stat}")
                ms = (time.perf_counter() - t) * 1e3
                assert status == 200, body[:200]
                print(
                    f"  series route, {label}: {ms:.0f} ms ({len(body) / 2**20:.1f} MiB) (goal <= 200 ms) -> {'met' if ms <= 200 else 'NOT met'}"
                )
            if skip_browser:
                return
            from browser_helpers import launch_chromium
            from playwright.sync_api import sync_playwright

            with sync_playwright() as p:
                context = launch_chromium(p)
                page = context.new_page()
                drawn, draw_only = [], []
                for _ in range(3):
                    page.goto(f"{tb.url}/data/plugin_entry.html?name=tbs_layers")
                    selector = "[data-testid=layer-step-heatmap] [data-testid=heatmap-canvas]"
                    page.wait_for_function(
                        f"() => document.querySelector('{selector}')?.dataset.arrivalToDrawnMs", timeout=120000
                    )
                    drawn.append(float(page.locator(selector).get_attribute("data-arrival-to-drawn-ms")))
                    draw_only.append(float(page.locator(selector).get_attribute("data-draw-ms")))
                context.close()
            median = statistics.median(drawn)
            print(
                f"  heatmap {layers} x {steps} in Chromium, data arrival -> drawn: median {median:.1f} ms of {drawn} "
                f"(goal <= 100 ms) -> {'met' if median <= 100 else 'NOT met'}; the grid draw alone: "
                f"median {statistics.median(draw_only):.1f} ms"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--skip-browser", action="store_true")
    parser.add_argument("--only", choices=("throughput", "step", "big"), help="run one part")
    parser.add_argument(
        "--models",
        nargs="+",
        default=["cnn", "transformer", "tiny"],
        choices=("cnn", "transformer", "tiny"),
        help="models of part 1 (part 2-3 takes the CNN and the transformer among them)",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.only in (None, "throughput"):
        print(f"1. throughput with LayerMonitor(every={EVERY}), torch threads {args.threads}")
        for kind in args.models:
            throughput(kind, args.steps, args.repeats)
    if args.only in (None, "step"):
        print("2-3. one logged step (every=1), against add_histogram per parameter and gradient")
        for kind in (k for k in args.models if k != "tiny"):
            logged_step(kind, args.repeats)
    if args.only in (None, "big"):
        print("4. a 1,000-layer model in TensorBoard")
        thousand_layers(args.skip_browser)


if __name__ == "__main__":
    main()
