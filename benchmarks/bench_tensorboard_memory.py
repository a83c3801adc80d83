"""Resident memory of TensorBoard serving 200 steps of BERT-base-sized attention (12x12x128x128, uint8).

Compares the two storage choices of docs/storage.md, under both loaders: payloads in sidecar files
(what tb-suite does) and the same payloads inline in the event file (as blob sequences or any in-event
storage would be held). Memory counts TensorBoard and its data server process together; goal < 500 MB.
"""

import json
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from unittest import mock

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import tb_suite as tbs  # noqa: E402
from tb_suite.core import writer as writer_module  # noqa: E402
from tests.conftest import run_tensorboard  # noqa: E402

STEPS = int(os.environ.get("BENCH_STEPS", 200))
SHAPE = (12, 12, 128, 128)


def write_logdir(root: Path, inline: bool) -> int:
    values = np.random.default_rng(0).dirichlet(np.ones(128), size=SHAPE[:3]).astype(np.float32)
    limit = 1 << 40 if inline else writer_module.INLINE_LIMIT
    with mock.patch.object(writer_module, "INLINE_LIMIT", limit), tbs.Writer(root / "run") as writer:
        for step in range(STEPS):
            writer.write_record(
                "tbs_predictions", "attention", step, {}, {"a": values}, content={}, encodings={"a": "u8q"}
            )
    return sum(f.stat().st_size for f in root.rglob("*") if f.is_file())


def resident_mb(pid: int) -> float:
    process = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 1e6


def measure(root: Path, load_fast: bool) -> tuple[float, float]:
    with run_tensorboard(root, load_fast=load_fast, reload_interval=None) as tb:
        start = time.monotonic()
        while True:  # wait until every step is loaded
            with urllib.request.urlopen(tb.url + "/data/plugin/tbs_predictions/tags") as response:
                body = response.read()
            if len(json.loads(body).get("run", {}).get("attention", {}).get("steps", [])) == STEPS:
                break
            time.sleep(1)
        loaded = time.monotonic() - start
        with urllib.request.urlopen(
            tb.url + f"/data/plugin/tbs_predictions/record?run=run&tag=attention&step={STEPS - 1}"
        ) as r:
            r.read()
        time.sleep(2)
        return resident_mb(tb.process.pid), loaded


def main() -> None:
    for inline in (False, True):
        with tempfile.TemporaryDirectory() as tmp:
            size = write_logdir(Path(tmp), inline)
            for load_fast in (True, False):
                try:
                    rss, loaded = measure(Path(tmp), load_fast)
                except urllib.error.HTTPError as error:
                    print(
                        f"{'inline ' if inline else 'sidecar'} storage, load_fast={load_fast}: TensorBoard failed to "
                        f"serve the data (HTTP {error.code})"
                    )
                    continue
                print(
                    f"{'inline ' if inline else 'sidecar'} storage, {size / 1e6:.0f} MB on disk, load_fast={str(load_fast):5}: "
                    f"TensorBoard resident {rss:.0f} MB (goal < 500), all steps listed after {loaded:.1f} s"
                )


if __name__ == "__main__":
    main()
