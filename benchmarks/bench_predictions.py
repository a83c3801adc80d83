"""`log_predictions` on 1,000,000 samples x 10 classes vs scikit-learn computing the same metrics
(goal >= 3x faster, identical results to 1e-9), both on the same threads (2, then 1).

    .venv/bin/python benchmarks/bench_predictions.py [--samples 1000000] [--classes 10] [--rounds 5] [--threads 2 1]

scikit-learn, lean (no metric sorted twice): one confusion_matrix (precision, recall, F1 and support
from it), per class and for the micro average one roc_curve and one precision_recall_curve, with the AUC
and AP integrated from them as roc_auc_score / average_precision_score do; classes on as many threads
as ours (a thread pool over classes). Ours is the whole
`log_predictions` call (validation, metrics, examples, encoding) plus `flush()`, read back from disk for
the comparison. The floor: one `torch.sort` of every class's scores. Interleaved rounds, median and min-max.
"""

from __future__ import annotations

import argparse
import tempfile
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from sklearn import metrics as skm
from threadpoolctl import threadpool_limits
from timing import interleaved, print_comparison

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


def sklearn_metrics(probs: np.ndarray, target: np.ndarray, threads: int = 1) -> dict:
    """The same metrics with scikit-learn's public API, lean: one confusion matrix (precision, recall and
    F1 from it) and two sorts per curve (roc_curve, precision_recall_curve), the AUC and AP integrated from
    those curves exactly as roc_auc_score and average_precision_score do, instead of sorting again; the
    curves of different classes on `threads` threads (numpy's sorts release the GIL)."""
    classes = probs.shape[1]
    labels = np.arange(classes)
    out = {"confusion": skm.confusion_matrix(target, probs.argmax(1), labels=labels)}
    tp, predicted, out["support"] = np.diag(out["confusion"]), out["confusion"].sum(0), out["confusion"].sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["precision"] = np.where(predicted > 0, tp / predicted, 0.0)
        out["recall"] = np.where(out["support"] > 0, tp / out["support"], 0.0)
        pr_sum = out["precision"] + out["recall"]
        out["f1"] = np.where(pr_sum > 0, 2 * out["precision"] * out["recall"] / pr_sum, 0.0)
    out["accuracy"] = np.trace(out["confusion"]) / len(target)

    def auc_ap(positive: np.ndarray, scores: np.ndarray) -> tuple[tuple, float, float]:
        roc = skm.roc_curve(positive, scores)
        precision, recall, _ = skm.precision_recall_curve(positive, scores)
        return roc, skm.auc(roc[0], roc[1]), max(0.0, -float(np.sum(np.diff(recall) * precision[:-1])))

    with ThreadPoolExecutor(threads) as pool:
        per_class = list(pool.map(lambda k: auc_ap(target == k, probs[:, k]), labels))
    out["roc"] = [roc for roc, _, _ in per_class]
    out["auc"] = np.array([auc for _, auc, _ in per_class])
    out["ap"] = np.array([ap for _, _, ap in per_class])
    _, out["micro_auc"], out["micro_ap"] = auc_ap((target[:, None] == labels).ravel(), probs.ravel())
    out["macro_auc"], out["macro_ap"] = out["auc"].mean(), out["ap"].mean()
    return out


def sort_floor(scores: torch.Tensor) -> None:
    """The floor: one sort of each class's scores, which exact ROC and PR curves cannot skip."""
    torch.sort(scores.t().contiguous(), dim=1)


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
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, nargs="+", default=[2, 1])
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    probs, target = make_data(args.samples, args.classes)
    scores, targets = torch.from_numpy(probs), torch.from_numpy(target)

    for threads in args.threads:
        torch.set_num_threads(threads)
        with tempfile.TemporaryDirectory() as logdir, threadpool_limits(threads):
            writer = tbs.Writer(logdir)
            steps = iter(range(10**9))
            results = {}

            def ours() -> None:
                tbs.log_predictions(writer, "bench", scores, targets, step=next(steps))
                writer.flush()

            times = interleaved(
                {
                    "log_predictions": ours,
                    "scikit-learn (lean)": lambda: results.update(sklearn_metrics(probs, target, threads)),
                    "one sort per class": lambda: sort_floor(scores),
                },
                args.rounds,
            )
            writer.close()
            worst = compare(*read_record(logdir, "bench"), results)
        print(
            f"{args.samples:,} samples x {args.classes} classes, {threads} thread(s), {args.rounds} interleaved rounds"
        )
        print_comparison(
            times, "scikit-learn (lean)", "log_predictions", "one sort per class", f"(goal >= {GOAL:.0f}x)"
        )
        print(f"  results identical: largest difference {worst:.3g} (<= {TOLERANCE:g})", flush=True)


if __name__ == "__main__":
    main()
