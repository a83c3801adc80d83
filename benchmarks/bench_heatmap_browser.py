"""Data-arrival-to-drawn time of a 1000-class confusion matrix in the Predictions tab (headless Chromium,
real `tensorboard`), against the 50 ms goal.

    .venv/bin/python benchmarks/bench_heatmap_browser.py [--classes 1000] [--repeats 7]

"Arrival" is when the record's bytes are decoded into typed arrays; "drawn" is the end of the synchronous
canvas draw (normalization, React commit, ImageData fill, scaling, labels). Needs `npm run build` first.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "browser")]

from browser_helpers import launch_chromium, open_tab, write_predictions  # noqa: E402
from conftest import run_tensorboard  # noqa: E402  (tests/conftest.py)

GOAL_MS = 50.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        logdir = Path(tmp) / "logs"
        write_predictions(logdir / "bench", args.classes, steps=(0,), images=False, samples=20 * args.classes)
        with run_tensorboard(logdir, load_fast=True, tmp_path=Path(tmp)) as tb, sync_playwright() as p:
            context = launch_chromium(p)
            page = context.new_page()
            arrival, draw = [], []
            for _ in range(args.repeats):
                canvas = open_tab(page, tb.url)
                arrival.append(float(canvas.get_attribute("data-arrival-to-drawn-ms")))
                draw.append(float(canvas.get_attribute("data-draw-ms")))
            context.close()

    median = statistics.median(arrival)
    print(f"{args.classes}-class confusion matrix in Chromium, {args.repeats} page loads")
    print(f"  data arrival -> drawn: median {median:.1f} ms, min {min(arrival):.1f}, max {max(arrival):.1f}")
    print(f"  grid draw alone:       median {statistics.median(draw):.1f} ms")
    print(f"  goal {GOAL_MS:.0f} ms: {'met' if median <= GOAL_MS else 'NOT met'}")


if __name__ == "__main__":
    main()
