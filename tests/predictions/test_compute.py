"""The predictions math against scikit-learn, on random data and edge cases."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from scipy.special import softmax
from sklearn import metrics as skm

from tb_suite.predictions import compute


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn warns about the undefined classes we test
        yield


def _probabilities(rng, n, c, dtype=np.float32, decimals=None):
    logits = rng.normal(size=(n, c))
    target = rng.integers(0, c, n)
    logits[np.arange(n), target] += 1.0
    probs = softmax(logits, axis=1)
    if decimals is not None:  # many ties
        probs = np.round(probs, decimals)
        probs /= probs.sum(1, keepdims=True)
    return probs.astype(dtype), target


def _assert_matches_sklearn(m: compute.PredictionMetrics, probs: np.ndarray, target: np.ndarray):
    """Every stored metric equals scikit-learn's on the same probabilities (to 1e-12)."""
    n, c = probs.shape
    labels = np.arange(c)
    pred = probs.argmax(1)
    np.testing.assert_array_equal(m.confusion, skm.confusion_matrix(target, pred, labels=labels))
    precision, recall, f1, support = skm.precision_recall_fscore_support(target, pred, labels=labels, zero_division=0)
    np.testing.assert_allclose(m.precision, precision, rtol=0, atol=1e-12)
    np.testing.assert_allclose(m.recall, recall, rtol=0, atol=1e-12)
    np.testing.assert_allclose(m.f1, f1, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(m.support, support)
    assert m.accuracy == pytest.approx(skm.accuracy_score(target, pred), abs=1e-12)
    onehot = (target[:, None] == labels).astype(int)
    present = (support > 0) & (support < n)
    expected_auc = np.full(c, np.nan)
    expected_ap = np.full(c, np.nan)
    for k in np.flatnonzero(present):
        expected_auc[k] = skm.roc_auc_score(onehot[:, k], probs[:, k])
    for k in np.flatnonzero(support > 0):
        expected_ap[k] = skm.average_precision_score(onehot[:, k], probs[:, k])
    np.testing.assert_allclose(m.auc, expected_auc, rtol=0, atol=1e-12)
    np.testing.assert_allclose(m.ap, expected_ap, rtol=0, atol=1e-12)
    assert m.micro_auc == pytest.approx(skm.roc_auc_score(onehot, probs, average="micro"), abs=1e-12)
    assert m.micro_ap == pytest.approx(skm.average_precision_score(onehot, probs, average="micro"), abs=1e-12)
    if present.any():
        assert m.macro_auc == pytest.approx(expected_auc[present].mean(), abs=1e-12)
    else:
        assert np.isnan(m.macro_auc)
    assert m.macro_ap == pytest.approx(expected_ap[support > 0].mean(), abs=1e-12)


def test_random_probabilities_match_sklearn():
    probs, target = _probabilities(np.random.default_rng(0), 3000, 7)
    _assert_matches_sklearn(compute.prediction_metrics(probs, target), probs, target)


def test_ties_match_sklearn():
    probs, target = _probabilities(np.random.default_rng(1), 2000, 4, decimals=1)
    assert len(np.unique(probs[:, 0])) < 50
    _assert_matches_sklearn(compute.prediction_metrics(probs, target), probs, target)


def test_float64_scores_match_sklearn():
    probs, target = _probabilities(np.random.default_rng(2), 1000, 3, dtype=np.float64)
    m = compute.prediction_metrics(torch.from_numpy(probs), torch.from_numpy(target))
    _assert_matches_sklearn(m, probs, target)


def test_perfect_separation():
    target = np.repeat(np.arange(3), 50)
    probs = np.full((150, 3), 0.1, np.float32)
    probs[np.arange(150), target] = 0.8
    m = compute.prediction_metrics(probs, target)
    _assert_matches_sklearn(m, probs, target)
    np.testing.assert_array_equal(m.auc, 1.0)
    np.testing.assert_array_equal(m.ap, 1.0)
    assert m.accuracy == m.macro_auc == m.micro_auc == m.macro_ap == 1.0
    np.testing.assert_array_equal(m.confusion, np.diag([50, 50, 50]))


def test_absent_class_is_nan_and_left_out_of_macro():
    probs, target = _probabilities(np.random.default_rng(3), 500, 4)
    target[target == 2] = 0
    m = compute.prediction_metrics(probs, target)
    _assert_matches_sklearn(m, probs, target)
    assert np.isnan(m.auc[2]) and np.isnan(m.ap[2])
    assert m.support[2] == 0
    assert m.roc_offsets[3] == m.roc_offsets[2] and m.pr_offsets[3] == m.pr_offsets[2]  # no curve


def test_single_class_in_targets():
    probs, _ = _probabilities(np.random.default_rng(4), 200, 3)
    target = np.zeros(200, np.int64)
    m = compute.prediction_metrics(probs, target)
    _assert_matches_sklearn(m, probs, target)
    assert np.isnan(m.auc).all() and np.isnan(m.macro_auc)
    assert np.isnan(m.ap[1:]).all() and not np.isnan(m.ap[0])
    assert len(m.roc_fpr) == 0 and m.pr_offsets[1] > 0


@pytest.mark.parametrize("logits", [False, True])
def test_binary_scores(logits):
    rng = np.random.default_rng(5)
    target = rng.integers(0, 2, 800)
    raw = rng.normal(size=800) + target
    raw = np.round(raw, 1)  # ties
    scores = raw if logits else 1 / (1 + np.exp(-raw))
    m = compute.prediction_metrics(torch.tensor(scores, dtype=torch.float32), torch.from_numpy(target))
    ranked = scores.astype(np.float32)
    assert m.auc[1] == pytest.approx(skm.roc_auc_score(target, ranked), abs=1e-12)
    assert m.auc[0] == pytest.approx(skm.roc_auc_score(1 - target, -ranked), abs=1e-12)
    assert m.ap[1] == pytest.approx(skm.average_precision_score(target, ranked), abs=1e-12)
    assert m.ap[0] == pytest.approx(skm.average_precision_score(1 - target, -ranked), abs=1e-12)
    assert (m.micro_auc, m.micro_ap) == (m.auc[1], m.ap[1])
    pred = (ranked > (0 if logits else 0.5)).astype(int)
    np.testing.assert_array_equal(m.confusion, skm.confusion_matrix(target, pred, labels=[0, 1]))
    prob1 = 1 / (1 + np.exp(-raw)) if logits else scores
    expected = np.where(pred[m.example_index] == 1, prob1[m.example_index], 1 - prob1[m.example_index])
    np.testing.assert_allclose(m.example_score, expected, atol=1e-6)


def test_logits_are_detected_and_softmaxed():
    rng = np.random.default_rng(6)
    logits = rng.normal(size=(600, 5)).astype(np.float32) * 3
    target = rng.integers(0, 5, 600)
    assert compute.is_logits(torch.from_numpy(logits))
    probs_t, pred, _ = compute.prepare_scores(logits)
    np.testing.assert_allclose(probs_t.numpy(), softmax(logits.astype(np.float64), axis=1), atol=1e-6)
    np.testing.assert_array_equal(pred.numpy(), logits.argmax(1))
    m = compute.prediction_metrics(logits, target)
    _assert_matches_sklearn(m, probs_t.numpy(), target)
    probs, _ = _probabilities(rng, 100, 5)
    assert not compute.is_logits(torch.from_numpy(probs))
    assert compute.is_logits(torch.from_numpy(probs * 0.9))  # rows not summing to 1


def test_thousand_classes_in_chunks(monkeypatch):
    rng = np.random.default_rng(7)
    probs, target = _probabilities(rng, 3000, 1000)
    monkeypatch.setattr(compute, "_CHUNK_PAIRS", 3000 * 97)  # uneven chunks
    m = compute.prediction_metrics(probs, target)
    _assert_matches_sklearn(m, probs, target)
    assert m.confusion.shape == (1000, 1000) and m.confusion.sum() == 3000


def test_chunks_of_one_class_with_ties(monkeypatch):
    probs, target = _probabilities(np.random.default_rng(8), 1500, 6, decimals=2)
    monkeypatch.setattr(compute, "_CHUNK_PAIRS", 1)  # micro averages gathered over six chunks
    _assert_matches_sklearn(compute.prediction_metrics(probs, target), probs, target)


def _curve(x, y, offsets, k):
    return np.stack([x[offsets[k] : offsets[k + 1]], y[offsets[k] : offsets[k + 1]]], 1).astype(np.float64)


def test_small_curves_are_scikit_learns_exactly():
    probs, target = _probabilities(np.random.default_rng(9), 120, 3, decimals=2)
    m = compute.prediction_metrics(probs, target)
    for k in range(3):
        fpr, tpr, _ = skm.roc_curve(target == k, probs[:, k], drop_intermediate=False)
        np.testing.assert_allclose(_curve(m.roc_fpr, m.roc_tpr, m.roc_offsets, k), np.stack([fpr, tpr], 1), atol=1e-7)
        precision, recall, _ = skm.precision_recall_curve(target == k, probs[:, k])
        expected = np.stack([recall[::-1], precision[::-1]], 1)
        np.testing.assert_allclose(_curve(m.pr_recall, m.pr_precision, m.pr_offsets, k), expected, atol=1e-7)


def test_large_curves_are_downsampled_onto_the_full_curve():
    probs, target = _probabilities(np.random.default_rng(10), 20000, 3)
    m = compute.prediction_metrics(probs, target, curve_points=256)
    assert m.roc_offsets.dtype == np.int32 and m.roc_fpr.dtype == np.float32
    for k in range(3):
        roc = _curve(m.roc_fpr, m.roc_tpr, m.roc_offsets, k)
        fpr, tpr, _ = skm.roc_curve(target == k, probs[:, k], drop_intermediate=False)
        assert 200 <= len(roc) <= 256
        np.testing.assert_array_equal(roc[0], [0, 0])
        np.testing.assert_array_equal(roc[-1], [1, 1])
        assert (np.diff(roc, axis=0) >= 0).all()
        full = {(np.float32(a), np.float32(b)) for a, b in zip(fpr, tpr)}
        assert all((np.float32(a), np.float32(b)) in full for a, b in roc)
        # Trapezoids over the stored points stay close to the exact AUC.
        assert np.trapezoid(roc[:, 1], roc[:, 0]) == pytest.approx(m.auc[k], abs=2e-3)
        pr = _curve(m.pr_recall, m.pr_precision, m.pr_offsets, k)
        assert len(pr) <= 256 and tuple(pr[0]) == (0, 1) and pr[-1, 0] == 1
        assert (np.diff(pr[:, 0]) >= 0).all()


def test_examples_are_the_most_confident_of_each_cell():
    probs, target = _probabilities(np.random.default_rng(11), 2000, 4)
    m = compute.prediction_metrics(probs, target, examples_per_cell=5)
    pred = probs.argmax(1)
    score = probs.max(1)
    cells = list(zip(m.example_true.tolist(), m.example_pred.tolist()))
    assert cells == sorted(cells)
    for t in range(4):
        for p in range(4):
            members = np.flatnonzero((target == t) & (pred == p))
            expected = members[np.lexsort((members, -score[members]))][:5]
            chosen = (m.example_true == t) & (m.example_pred == p)
            np.testing.assert_array_equal(m.example_index[chosen], expected)
            np.testing.assert_array_equal(m.example_score[chosen], score[expected])
    assert compute.prediction_metrics(probs, target, examples_per_cell=0).example_index.size == 0


def test_label_metrics_match_sklearn():
    rng = np.random.default_rng(12)
    target, pred = rng.integers(0, 6, 500), rng.integers(0, 5, 500)
    m = compute.label_metrics(torch.from_numpy(pred), target, 6)
    np.testing.assert_array_equal(m.confusion, skm.confusion_matrix(target, pred, labels=range(6)))
    expected = skm.precision_recall_fscore_support(target, pred, labels=range(6), zero_division=0)
    for got, want in zip((m.precision, m.recall, m.f1, m.support), expected):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    assert m.auc is None and m.roc_fpr is None
    np.testing.assert_array_equal(m.example_score, 1.0)
    assert m.example_index.size == sum(min(8, n) for n in m.confusion.flatten())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu():
    probs, target = _probabilities(np.random.default_rng(13), 5000, 10, decimals=3)
    cpu = compute.prediction_metrics(probs, target)
    gpu = compute.prediction_metrics(torch.from_numpy(probs).cuda(), torch.from_numpy(target).cuda())
    for name in ("confusion", "auc", "ap", "roc_fpr", "pr_precision", "example_index", "example_score"):
        np.testing.assert_allclose(getattr(gpu, name), getattr(cpu, name), rtol=0, atol=1e-12, err_msg=name)
    assert gpu.micro_auc == pytest.approx(cpu.micro_auc, abs=1e-12)


def test_undefined_classes_leave_the_other_curves_intact():
    probs, target = _probabilities(np.random.default_rng(14), 4000, 4)
    target[target == 1] = 0  # class 1 absent: no ROC and no PR curve
    m = compute.prediction_metrics(probs, target)
    for k in (0, 2, 3):
        fpr, tpr, _ = skm.roc_curve(target == k, probs[:, k], drop_intermediate=False)
        roc = _curve(m.roc_fpr, m.roc_tpr, m.roc_offsets, k)
        assert 200 <= len(roc) <= 256 and tuple(roc[0]) == (0, 0) and tuple(roc[-1]) == (1, 1)
        full = {(np.float32(a), np.float32(b)) for a, b in zip(fpr, tpr)}
        assert all((np.float32(a), np.float32(b)) in full for a, b in roc)
        assert np.trapezoid(roc[:, 1], roc[:, 0]) == pytest.approx(m.auc[k], abs=2e-3)
    assert m.roc_offsets[2] == m.roc_offsets[1] and m.pr_offsets[2] == m.pr_offsets[1]
