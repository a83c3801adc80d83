"""The Runs tab at scale, and the CSV import.

1. 200 runs x 10 scalar tags x 10,000 steps under the Rust data server (--load_fast=true): time of the quick
   first answer the tab shows (`/runs?summaries=0`: names and configs), of the first full one (every point
   read, cold) and of a repeated one (warm), against TensorBoard's own scalars route reading the same series
   (`/data/plugin/scalars/scalars` for every run and tag, what the Scalars tab fetches). Goals: the table
   within 2 s of opening the tab, warm route <= 1 s.
2. Import of a 1,000,000-row, 10-column CSV (goal <= 10 s), against writing the same rows with torch's
   SummaryWriter.add_scalar (a sample of rows, extrapolated).

BENCH_RUNS / BENCH_STEPS / BENCH_ROWS shrink it for a quick check.
"""

from __future__ import annotations

import concurrent.futures
import os
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tb_suite.runs.eventfile import ScalarFile  # noqa: E402
from tb_suite.runs.importers import import_paths  # noqa: E402
from tests.conftest import run_tensorboard, wait_for  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", 200))
TAGS = 10
STEPS = int(os.environ.get("BENCH_STEPS", 10_000))
ROWS = int(os.environ.get("BENCH_ROWS", 1_000_000))


def write_logdir(root: Path) -> None:
    rng = np.random.default_rng(0)
    tags = [f"train/loss_{i}" if i < 5 else f"val/acc_{i}" for i in range(TAGS)]
    steps = np.arange(STEPS, dtype=np.int64)
    for r in range(RUNS):
        values = (rng.random((STEPS, TAGS)) / (1 + steps[:, None] / 1000)).astype(np.float32)
        out = ScalarFile(str(root / f"run_{r:03d}"))
        out.write(tags, steps, 1.7e9 + steps.astype(np.float64), values)
        out.commit()


def timed_get(tb, path: str) -> float:
    start = time.perf_counter()
    status, body, _ = tb.get(path, timeout=600)
    assert status == 200, (path, status, body[:300])
    return time.perf_counter() - start


def scalars_route(tb, runs: list[str], tags: list[str]) -> float:
    """Every series through TensorBoard's scalars route, 8 requests in flight (a browser's parallelism)."""
    paths = [f"/data/plugin/scalars/scalars?{urllib.parse.urlencode({'run': r, 'tag': t})}" for r in runs for t in tags]
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda p: tb.get(p, timeout=600), paths))
    return time.perf_counter() - start


def bench_table() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "logs"
        t0 = time.perf_counter()
        write_logdir(root)
        print(f"wrote {RUNS} runs x {TAGS} tags x {STEPS} steps in {time.perf_counter() - t0:.1f} s")
        with run_tensorboard(root, load_fast=True, tmp_path=Path(tmp), reload_interval=None) as tb:
            runs = sorted(f"run_{r:03d}" for r in range(RUNS))
            tags = [f"train/loss_{i}" if i < 5 else f"val/acc_{i}" for i in range(TAGS)]
            probe = "/data/plugin/tbs_runs/tags"
            t0 = time.perf_counter()
            wait_for(
                lambda: (
                    (t := tb.get_json(probe))
                    and len(t) == RUNS
                    and all(s["steps"] == [STEPS - 1] for v in t.values() for s in v.values())
                ),
                timeout=1800,
                interval=1,
            )
            print(f"TensorBoard loaded every point in {time.perf_counter() - t0:.1f} s")
            quick = timed_get(tb, "/data/plugin/tbs_runs/runs?summaries=0")
            cold = timed_get(tb, "/data/plugin/tbs_runs/runs")
            warm = min(timed_get(tb, "/data/plugin/tbs_runs/runs") for _ in range(3))
            filtered = min(timed_get(tb, "/data/plugin/tbs_runs/runs?regex=run_1&group=") for _ in range(3))
            base_cold = scalars_route(tb, runs, tags)
            base_warm = scalars_route(tb, runs, tags)
            print(f"/runs?summaries=0 (names and configs, the table shown) cold {quick:.2f} s (goal <= 2 s)")
            print(
                f"/runs cold (every point read) {cold:.2f} s, warm {warm:.3f} s (goal <= 1 s), regex-filtered {filtered:.3f} s"
            )
            print(
                f"TensorBoard scalars route, all {RUNS * TAGS} series (1000-point samples): "
                f"first {base_cold:.2f} s, again {base_warm:.2f} s"
            )
            print(
                f"ratio /runs cold / scalars route first: {cold / base_cold:.2f}; warm / again: {warm / base_warm:.3f}"
            )


def bench_import() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "metrics.csv"
        rng = np.random.default_rng(1)
        data = rng.random((ROWS, 9))
        with open(path, "w") as f:
            f.write("step," + ",".join(f"metric_{i}" for i in range(9)) + "\n")
            np.savetxt(f, np.column_stack([np.arange(ROWS), data]), fmt=["%d"] + ["%.6f"] * 9, delimiter=",")
        size_mb = path.stat().st_size / 1e6
        t0 = time.perf_counter()
        import_paths([path], Path(tmp) / "logs")
        ours = time.perf_counter() - t0
        print(f"import of a {ROWS}-row, 10-column CSV ({size_mb:.0f} MB): {ours:.2f} s (goal <= 10 s)")

        from torch.utils.tensorboard import SummaryWriter

        sample = min(ROWS, 20_000)
        writer = SummaryWriter(str(Path(tmp) / "torch"))
        t0 = time.perf_counter()
        for step in range(sample):
            for i in range(9):
                writer.add_scalar(f"metric_{i}", data[step, i], step)
        writer.close()
        torch_s = (time.perf_counter() - t0) * ROWS / sample
        print(
            f"torch SummaryWriter.add_scalar for the same rows: {torch_s:.1f} s (extrapolated from {sample} rows); "
            f"ratio import / torch: {ours / torch_s:.3f}"
        )


if __name__ == "__main__":
    bench_import()
    bench_table()
