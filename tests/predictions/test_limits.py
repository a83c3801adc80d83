"""Class counts and example counts beyond the documented limits are refused before anything is computed."""

import numpy as np
import pytest

import tb_suite as tbs
from tb_suite.core.reader import read_records
from tb_suite.predictions import compute
from tb_suite.predictions.metadata import PLUGIN_NAME
from tb_suite.predictions.summary import MAX_CLASSES, MAX_EXAMPLES_PER_CELL, MAX_INFERRED_CLASSES


@pytest.fixture
def no_metrics(monkeypatch):
    """Fail if a metric is computed: the refusal must come before the C x C matrix exists."""

    def refuse(*args, **kwargs):
        raise AssertionError("metrics computed before the sizes were checked")

    monkeypatch.setattr(compute, "label_metrics", refuse)
    monkeypatch.setattr(compute, "prediction_metrics", refuse)


def _nothing_written(logdir) -> bool:
    return [p for p in logdir.rglob("*") if p.is_file()] == []


@pytest.mark.parametrize(
    "preds, targets, kwargs, error, match",
    [
        # one stray label must not make a matrix of 5000 x 5000 cells (the reported case used 20000 and 10**5)
        (
            [0, 1, 2, 5000],
            [0, 1, 2, 3],
            {},
            ValueError,
            rf"preds holds the label 5000: without num_classes at most {MAX_INFERRED_CLASSES} classes .*"
            rf"docs/limits.md.*pass num_classes \(up to {MAX_CLASSES}\)",
        ),
        ([0, 1, 2, 3], [0, 1, 2, 10**5], {}, ValueError, r"targets holds the label 100000"),
        ([0, 1], [0, 1], {"num_classes": MAX_CLASSES + 1}, ValueError, rf"num_classes must be <= {MAX_CLASSES}"),
        (
            [0, 1],
            [0, 1],
            {"class_names": [str(i) for i in range(MAX_CLASSES + 1)]},
            ValueError,
            rf"class_names has {MAX_CLASSES + 1} entries, more than {MAX_CLASSES}",
        ),
        ([0, 1], [0, 1], {"num_classes": np.float64(3)}, TypeError, r"num_classes must be an int"),
    ],
)
def test_confusion_matrix_limits(tmp_path, no_metrics, preds, targets, kwargs, error, match):
    with tbs.Writer(tmp_path) as writer:
        with pytest.raises(error, match=match):
            tbs.log_confusion_matrix(writer, "t", np.array(preds), np.array(targets), step=0, **kwargs)
    assert _nothing_written(tmp_path)


def test_an_explicit_num_classes_raises_the_inferred_limit(tmp_path):
    preds, targets = np.array([0, 1, 1500]), np.array([0, 1500, 1500])
    with tbs.Writer(tmp_path) as writer:
        tbs.log_confusion_matrix(writer, "t", preds, targets, step=0, num_classes=1501)
    meta, arrays = read_records(tmp_path, PLUGIN_NAME)["t"][0]
    assert meta["num_classes"] == 1501 and arrays["confusion"].shape == (1501, 1501)
    assert arrays["confusion"][1500, 1500] == 1 and arrays["confusion"][1500, 1] == 1
    assert arrays["confusion"].sum() == 3


@pytest.mark.parametrize(
    "scores, kwargs, match",
    [
        (
            np.full((2, MAX_CLASSES + 1), 1.0 / (MAX_CLASSES + 1)),
            {},
            rf"scores has {MAX_CLASSES + 1} columns \(classes\), more than {MAX_CLASSES}",
        ),
        (
            np.array([[0.9, 0.1], [0.2, 0.8]]),
            {"examples_per_cell": 10**6},
            rf"examples_per_cell must be <= {MAX_EXAMPLES_PER_CELL}",
        ),
    ],
)
def test_prediction_limits(tmp_path, no_metrics, scores, kwargs, match):
    with tbs.Writer(tmp_path) as writer:
        with pytest.raises(ValueError, match=match):
            tbs.log_predictions(writer, "t", scores, np.array([0, 1]), step=0, **kwargs)
    assert _nothing_written(tmp_path)
