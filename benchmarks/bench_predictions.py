"""`log_predictions` on 1,000,000 samples x 10 classes vs scikit-learn computing the same metrics
(goal >= 3x faster, identical results to 1e-9), both on 2 threads.

    .venv/bin/python benchmarks/bench_predictions.py [--samples 1000000] [--classes 10] [--repeats 3]

scikit-learn computes: confusion_matrix, precision_recall_fscore_support, per class roc_curve,
roc_auc_score and average_precision_score, and micro roc_auc_score / average_precision_score (the
micro and macro averages log_predictions also stores). Ours is the whole `log_predictions` call
(validation, metrics, examples, encoding) plus `flush()`, read back from disk for the comparison.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings

import numpy as np
import torch
from sklearn import metrics as skm
from threadpoolctl import threadpool_limits

import tb_suite as tbs
from tb_suite.core.reader import read_records
from tb_suite.predictions.metadata import PLUGIN_NAME

GOAL = 3.0
TOLERANCE = 1e-9


def make_data(samples: int, classes: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    target = rng.integers(0, classes, samples)
    logits = rng.normal(size=(samples, classes)).astype(np.float32)
    logits[np.arange(samples), target] += 1.0
    probs = torch.from_numpy(logits).softmax(1).numpy()
    return probs, target


def sklearn_metrics(probs: np.ndarray, target: np.ndarray) -> dict:
    classes = probs.shape[1]
    labels = np.arange(classes)
    pred = probs.argmax(1)
    out = {"confusion": skm.confusion_matrix(target, pred, labels=labels)}
    out["precision"], out["recall"], out["f1"], out["support"] = skm.precision_recall_fscore_support(
        target, pred, labels=labels, zero_division=0
    )
    out["accuracy"] = np.trace(out["confusion"]) / len(target)
    out["roc"] = [skm.roc_curve(target == k, probs[:, k]) for k in labels]
    out["auc"] = np.array([skm.roc_auc_score(target == k, probs[:, k]) for k in labels])
    out["ap"] = np.array([skm.average_precision_score(target == k, probs[:, k]) for k in labels])
    onehot = (target[:, None] == labels).astype(np.int8)
    out["micro_auc"] = skm.roc_auc_score(onehot, probs, average="micro")
    out["micro_ap"] = skm.average_precision_score(onehot, probs, average="micro")
    out["macro_auc"], out["macro_ap"] = out["auc"].mean(), out["ap"].mean()
    return out


def read_record(logdir: str, tag: str) -> tuple[dict, dict]:
    """(meta, arrays) of the last record of `tag`, read back through TensorBoard's event reader."""
    steps = read_records(logdir, PLUGIN_NAME)[tag]
    return steps[max(steps)]


def compare(meta: dict, arrays: dict, expected: dict) -> float:
    """The largest difference between our stored metrics and scikit-learn's (raises when above 1e-9)."""
    np.testing.assert_array_equal(arrays["confusion"], expected["confusion"])
    np.testing.assert_array_equal(arrays["support"], expected["support"])
    worst = 0.0
    for name in ("precision", "recall", "f1", "auc", "ap"):
        worst = max(worst, float(np.abs(arrays[name] - expected[name]).max()))
    for name in ("accuracy", "micro_auc", "micro_ap", "macro_auc", "macro_ap"):
        worst = max(worst, abs(meta[name] - expected[name]))
    for k, (fpr, tpr, _) in enumerate(expected["roc"]):  # stored curves: endpoints of scikit-learn's
        lo, hi = arrays["roc_offsets"][k], arrays["roc_offsets"][k + 1] - 1
        assert (arrays["roc_fpr"][lo], arrays["roc_tpr"][lo]) == (fpr[0], tpr[0])
        assert (arrays["roc_fpr"][hi], arrays["roc_tpr"][hi]) == (fpr[-1], tpr[-1])
    assert worst <= TOLERANCE, f"results differ by {worst:.3g}"
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    warnings.simplefilter("ignore")
    probs, target = make_data(args.samples, args.classes)
    scores, targets = torch.from_numpy(probs), torch.from_numpy(target)

    ours, theirs, ours_cpu, theirs_cpu = [], [], [], []
    with tempfile.TemporaryDirectory() as logdir, threadpool_limits(args.threads):
        writer = tbs.Writer(logdir)
        for step in range(args.repeats):  # interleaved, so both see the same machine load
            start, cpu = time.perf_counter(), time.process_time()
            tbs.log_predictions(writer, "bench", scores, targets, step=step)
            writer.flush()
            ours.append(time.perf_counter() - start)
            ours_cpu.append(time.process_time() - cpu)
            start, cpu = time.perf_counter(), time.process_time()
            expected = sklearn_metrics(probs, target)
            theirs.append(time.perf_counter() - start)
            theirs_cpu.append(time.process_time() - cpu)
        writer.close()
        worst = compare(*read_record(logdir, "bench"), expected)

    best_ours, best_theirs = min(ours), min(theirs)
    print(f"{args.samples:,} samples x {args.classes} classes, {args.threads} threads, {args.repeats} runs each")
    print(f"  tb_suite log_predictions: best {best_ours:.3f} s, median {statistics.median(ours):.3f} s")
    print(f"  scikit-learn:             best {best_theirs:.3f} s, median {statistics.median(theirs):.3f} s")
    print(f"  ratio (best / best): {best_theirs / best_ours:.2f}x faster (goal >= {GOAL:.0f}x); "
          f"median / median: {statistics.median(theirs) / statistics.median(ours):.2f}x")
    print(f"  CPU seconds (all threads; steadier on a shared machine): tb_suite {min(ours_cpu):.3f}, "
          f"scikit-learn {min(theirs_cpu):.3f}, ratio {min(theirs_cpu) / min(ours_cpu):.2f}x")
    print(f"  results identical: largest difference {worst:.3g} (<= {TOLERANCE:g})")


if __name__ == "__main__":
    main()
