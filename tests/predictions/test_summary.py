"""log_predictions / log_confusion_matrix: records read back through TensorBoard's own event reader."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import tb_suite as tbs
from tb_suite.core.metadata import parse_plugin_content
from tb_suite.core.reader import read_records
from tb_suite.core.writer import as_writer
from tb_suite.predictions import compute
from tb_suite.predictions.metadata import CONTENT_VERSION, PLUGIN_NAME
from tests.helpers import accumulator, stored_inline


def _read(logdir, tag, step):
    """(tag content, meta, arrays, stored inline?) of one record, and the accumulator."""
    acc = accumulator(logdir)
    plugin_data = acc.SummaryMetadata(tag).plugin_data
    assert plugin_data.plugin_name == PLUGIN_NAME
    meta, arrays = read_records(logdir, PLUGIN_NAME)[tag][step]
    return parse_plugin_content(plugin_data.content, CONTENT_VERSION), meta, arrays, stored_inline(acc, tag, step), acc


def _data(n=400, c=4, seed=0):
    rng = np.random.default_rng(seed)
    target = rng.integers(0, c, n)
    logits = rng.normal(size=(n, c)).astype(np.float32)
    logits[np.arange(n), target] += 1.5
    return torch.from_numpy(logits).softmax(1), torch.from_numpy(target)


def test_round_trip_equals_computed_metrics(tmp_path):
    probs, target = _data()
    with tbs.Writer(tmp_path) as writer:
        tbs.log_predictions(writer, "val", probs, target, step=3, class_names=["a", "b", "<b>c</b>", "d"], scalars=True)
    content, meta, arrays, _, acc = _read(tmp_path, "val", 3)
    expected = compute.prediction_metrics(probs, target)
    assert content["kind"] == "scores"
    assert meta["kind"] == "scores" and meta["num_classes"] == 4 and meta["num_samples"] == 400
    assert meta["class_names"] == ["a", "b", "<b>c</b>", "d"]
    assert meta["examples_per_cell"] == 8 and meta["has_images"] is False
    for name in ("accuracy", "micro_auc", "macro_auc", "micro_ap", "macro_ap"):
        assert meta[name] == getattr(expected, name), name
    layout = {
        "confusion": ("int64", 2),
        "precision": ("float64", 1),
        "recall": ("float64", 1),
        "f1": ("float64", 1),
        "support": ("int64", 1),
        "auc": ("float64", 1),
        "ap": ("float64", 1),
        "roc_fpr": ("float32", 1),
        "roc_tpr": ("float32", 1),
        "roc_offsets": ("int32", 1),
        "pr_recall": ("float32", 1),
        "pr_precision": ("float32", 1),
        "pr_offsets": ("int32", 1),
        "example_true": ("int32", 1),
        "example_pred": ("int32", 1),
        "example_index": ("int64", 1),
        "example_score": ("float32", 1),
    }
    assert set(arrays) == set(layout)
    for name, (dtype, ndim) in layout.items():
        assert (arrays[name].dtype.name, arrays[name].ndim) == (dtype, ndim), name
        np.testing.assert_array_equal(arrays[name], getattr(expected, name), err_msg=name)
    scalars = {tag: acc.Tensors(tag)[0] for tag in ("val/accuracy", "val/macro_auc")}
    assert scalars["val/accuracy"].tensor_proto.float_val[0] == pytest.approx(expected.accuracy, rel=1e-6)
    assert scalars["val/macro_auc"].tensor_proto.float_val[0] == pytest.approx(expected.macro_auc, rel=1e-6)
    assert acc.SummaryMetadata("val/accuracy").plugin_data.plugin_name == "scalars"


def test_large_record_goes_to_a_sidecar_and_undefined_metrics_are_null(tmp_path):
    rng = np.random.default_rng(1)
    scores = rng.normal(size=(2000, 300)).astype(np.float32)  # logits
    target = np.zeros(2000, np.int64)  # one class only: every AUC undefined
    tbs.log_predictions(str(tmp_path), "big", scores, target, step=0, scalars=True)  # the logdir's shared writer
    as_writer(str(tmp_path)).close()
    _, meta, arrays, inline, acc = _read(tmp_path, "big", 0)
    assert not inline
    assert meta["macro_auc"] is None and meta["micro_auc"] is not None
    json.dumps(meta, allow_nan=False)
    assert arrays["confusion"].shape == (300, 300) and arrays["confusion"][0].sum() == 2000
    assert np.isnan(arrays["auc"]).all()
    assert "big/accuracy" in acc.Tags()["tensors"] and "big/macro_auc" not in acc.Tags()["tensors"]


@pytest.mark.parametrize(
    "shape, layout",
    [((12, 3, 32, 32), "nchw"), ((12, 128, 96, 3), "nhwc"), ((12, 20, 16), "nhw"), ((12, 1, 128, 128), "nchw")],
)
@pytest.mark.parametrize("dtype", ["float", "uint8"])
def test_thumbnails_of_stored_examples(tmp_path, shape, layout, dtype):
    probs, target = _data(n=12, c=3)
    rng = np.random.default_rng(2)
    images = rng.random(shape, dtype=np.float32)
    if dtype == "uint8":
        images = (images * 255).round().astype(np.uint8)
    with tbs.Writer(tmp_path) as writer:
        tbs.log_predictions(writer, "val", probs, target, step=0, images=images, examples_per_cell=2)
    _, meta, arrays, _, _ = _read(tmp_path, "val", 0)
    assert meta["has_images"] is True
    thumbs = arrays["thumbnails"]
    index = arrays["example_index"]
    height, width = (shape[2], shape[3]) if layout == "nchw" else shape[1:3]
    scale = min(1, 64 / max(height, width))
    assert thumbs.dtype == np.uint8 and thumbs.shape == (len(index), round(height * scale), round(width * scale), 3)
    chw = images[:, None] if layout == "nhw" else images if layout == "nchw" else images.transpose(0, 3, 1, 2)
    chw = chw.astype(np.float32) / (255 if dtype == "uint8" else 1)
    first = chw[index[0]]
    if scale == 1:
        expected = np.round(np.broadcast_to(first, (3, height, width)) * 255).transpose(1, 2, 0)
        np.testing.assert_array_equal(thumbs[0], expected)
    else:  # area average over 2x2 blocks
        pooled = first.reshape(first.shape[0], height // 2, 2, width // 2, 2).mean((2, 4))
        expected = np.round(np.broadcast_to(pooled, (3, height // 2, width // 2)) * 255).transpose(1, 2, 0)
        assert np.abs(thumbs[0].astype(int) - expected).max() <= 1


def test_log_confusion_matrix_round_trip(tmp_path):
    rng = np.random.default_rng(3)
    target, pred = rng.integers(0, 5, 300), rng.integers(0, 5, 300)
    with tbs.Writer(tmp_path) as writer:
        tbs.log_confusion_matrix(writer, "labels", torch.from_numpy(pred), target, step=1, num_classes=6, scalars=True)
        tbs.log_confusion_matrix(writer, "labels", pred, target, step=2, scalars=True)
        tbs.log_confusion_matrix(writer, "quiet", pred, target, step=2)
        tbs.log_predictions(writer, "quiet_scores", *_data(50), step=2)
    content, meta, arrays, _, acc = _read(tmp_path, "labels", 1)
    assert content["kind"] == meta["kind"] == "labels"
    assert meta["num_classes"] == 6 and meta["class_names"] == ["0", "1", "2", "3", "4", "5"]
    assert "micro_auc" not in meta and "auc" not in arrays and "roc_fpr" not in arrays
    expected = compute.label_metrics(pred, target, 6)
    for name in ("confusion", "precision", "recall", "f1", "support", "example_true", "example_index"):
        np.testing.assert_array_equal(arrays[name], getattr(expected, name), err_msg=name)
    assert meta["accuracy"] == expected.accuracy
    assert _read(tmp_path, "labels", 2)[1]["num_classes"] == 5
    assert [e.step for e in acc.Tensors("labels/accuracy")] == [1, 2]
    # without scalars=True no scalar is written (none can clash with the user's own "<tag>/accuracy")
    assert not {"quiet/accuracy", "quiet_scores/accuracy", "quiet_scores/macro_auc"} & set(acc.Tags()["tensors"])


_GOOD = dict(scores=np.full((4, 3), 1 / 3, np.float32), targets=np.array([0, 1, 2, 0]))


def _bad_calls():
    nan = _GOOD["scores"].copy()
    nan[1, 1] = np.nan
    inf = _GOOD["scores"].copy()
    inf[0, 0] = np.inf
    return [
        (dict(scores=nan), ValueError, "scores"),
        (dict(scores=inf), ValueError, "scores"),
        (dict(scores=np.zeros((4, 3, 1))), ValueError, "scores"),
        (dict(scores=np.zeros((0, 3))), ValueError, "scores"),
        (dict(scores=np.zeros((4, 1))), ValueError, "scores"),
        (dict(scores=np.array([["a", "b"]] * 4)), TypeError, "scores"),
        (dict(scores="0.5"), TypeError, "scores"),
        (dict(targets=np.array([0, 1, 2])), ValueError, "targets"),
        (dict(targets=np.array([[0, 1, 2, 0]])), ValueError, "targets"),
        (dict(targets=np.array([0, 1, 3, 0])), ValueError, "targets"),
        (dict(targets=np.array([0, -1, 2, 0])), ValueError, "targets"),
        (dict(targets=np.array([0, 1.5, 2, 0])), TypeError, "targets"),
        (dict(targets=torch.tensor([0.0, 1.0, float("nan"), 0.0])), ValueError, "targets"),
        (dict(class_names=["a", "b"]), ValueError, "class_names"),
        (dict(class_names="abc"), TypeError, "class_names"),
        (dict(images=np.zeros((3, 3, 8, 8), np.float32)), ValueError, "images"),
        (dict(images=np.zeros((4, 8), np.float32)), ValueError, "images"),
        (dict(images=np.zeros((4, 5, 8, 8), np.float32)), ValueError, "images"),
        (dict(images=np.full((4, 3, 8, 8), 2.0, np.float32)), ValueError, "images"),
        (dict(images=np.zeros((4, 3, 8, 8), np.int32)), TypeError, "images"),
        (dict(examples_per_cell=-1), ValueError, "examples_per_cell"),
        (dict(scalars="yes"), TypeError, "scalars"),
        (dict(step=-1), ValueError, "step"),
        (dict(tag=""), ValueError, "tag"),
    ]


@pytest.mark.parametrize("change, error, name", _bad_calls())
def test_bad_input_raises_naming_the_argument_and_writes_nothing(tmp_path, change, error, name):
    args = {"tag": "val", "step": 0, **_GOOD, **change}
    with tbs.Writer(tmp_path) as writer:
        with pytest.raises(error, match=name):
            tbs.log_predictions(writer, args.pop("tag"), args.pop("scores"), args.pop("targets"), **args)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


@pytest.mark.parametrize(
    "change, error, name",
    [
        (dict(preds=np.array([0, 1, 2])), ValueError, "targets"),
        (dict(preds=np.array([0, 1, 7, 0]), num_classes=3), ValueError, "preds"),
        (dict(preds=np.array([], np.int64)), ValueError, "preds"),
        (dict(targets=np.array([0, 1, 2, 9]), num_classes=3), ValueError, "targets"),
        (dict(class_names=["a", "b"]), ValueError, "class_names"),
        (dict(num_classes=0), ValueError, "num_classes"),
        (dict(num_classes=2.5), TypeError, "num_classes"),
    ],
)
def test_bad_labels_raise_naming_the_argument_and_write_nothing(tmp_path, change, error, name):
    args = {"preds": np.array([0, 1, 2, 2]), "targets": np.array([0, 1, 2, 0]), **change}
    with tbs.Writer(tmp_path) as writer:
        with pytest.raises(error, match=name):
            tbs.log_confusion_matrix(writer, "val", args.pop("preds"), args.pop("targets"), step=0, **args)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
