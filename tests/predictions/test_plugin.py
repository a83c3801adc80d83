"""The tbs_predictions /examples route served by a real `tensorboard`, under both loaders, checked
against the examples picked from what was logged with numpy."""

import numpy as np
import pytest

import tb_suite as tbs
from tb_suite.core.wire import decode_wire
from tb_suite.predictions import metadata as md

PLUGIN = md.PLUGIN_NAME
CLASSES, SAMPLES, PER_CELL = 4, 300, 5


def _logged(seed: int):
    rng = np.random.default_rng(seed)
    targets = rng.integers(0, CLASSES, SAMPLES)
    logits = rng.normal(size=(SAMPLES, CLASSES))
    logits[np.arange(SAMPLES), targets] += 1.0
    probs = (np.exp(logits) / np.exp(logits).sum(1, keepdims=True)).astype(np.float32)
    images = rng.integers(0, 256, (SAMPLES, 3, 6, 5)).astype(np.uint8)
    return probs, targets, images


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("predictions")
    probs, targets, images = _logged(3)
    with tbs.Writer(str(root / "a")) as writer:
        tbs.log_predictions(writer, "val", probs, targets, step=7, images=images, examples_per_cell=PER_CELL)
        tbs.log_confusion_matrix(writer, "labels", probs.argmax(1), targets, step=0, num_classes=CLASSES)
        # Damaged: the example arrays differ in length.
        writer.write_record(
            PLUGIN,
            "damaged",
            0,
            {"kind": "labels", "num_classes": 2},
            {
                md.EXAMPLE_TRUE: np.zeros(3, np.int32),
                md.EXAMPLE_PRED: np.zeros(2, np.int32),
                md.EXAMPLE_INDEX: np.zeros(3, np.int64),
                md.EXAMPLE_SCORE: np.zeros(3, np.float32),
            },
            content=md.create_content("labels"),
        )
    return root, (probs, targets, images)


def _expected(probs, targets, true_class: int, pred_class: int):
    """Indices of the cell's samples, most confident (score of the predicted class) first, capped."""
    pred = probs.astype(np.float64).argmax(1)
    members = np.flatnonzero((targets == true_class) & (pred == pred_class))
    order = np.argsort(-probs[members, pred_class].astype(np.float64), kind="stable")
    return members[order][:PER_CELL]


@pytest.mark.parametrize("load_fast", [True, False])
def test_examples_route_serves_each_cell_as_logged(logdir, tensorboard_server, load_fast):
    root, (probs, targets, images) = logdir
    tb = tensorboard_server(root, load_fast=load_fast)
    tb.wait_for_tags(PLUGIN, tab_name="Predictions", runs=1)

    nonempty = 0
    for t in range(CLASSES):
        for p in range(CLASSES):
            status, body, content_type = tb.get(tb.plugin(PLUGIN, f"examples?run=a&tag=val&step=7&true={t}&pred={p}"))
            assert status == 200 and content_type == "application/octet-stream"
            meta, arrays = decode_wire(body)
            assert meta == {"true": t, "pred": p}
            index = _expected(probs, targets, t, p)
            nonempty += len(index) > 0
            assert arrays[md.EXAMPLE_INDEX].tolist() == index.tolist(), (t, p)
            assert arrays[md.EXAMPLE_TRUE].tolist() == [t] * len(index)
            assert arrays[md.EXAMPLE_PRED].tolist() == [p] * len(index)
            np.testing.assert_allclose(arrays[md.EXAMPLE_SCORE], probs[index, p], rtol=1e-6)
            # 6x5 images fit 64x64: the thumbnails are the images themselves, channels last.
            np.testing.assert_array_equal(arrays[md.THUMBNAILS], images[index].transpose(0, 2, 3, 1))
    assert nonempty >= CLASSES  # at least the diagonal

    _, labels = decode_wire(tb.get(tb.plugin(PLUGIN, "examples?run=a&tag=labels&step=0&true=1&pred=1"))[1])
    index = _expected(probs, targets, 1, 1)
    assert labels[md.EXAMPLE_INDEX].tolist() == sorted(labels[md.EXAMPLE_INDEX].tolist())  # no scores: any order
    assert set(labels[md.EXAMPLE_INDEX].tolist()) <= set(np.flatnonzero((targets == 1) & (probs.argmax(1) == 1)))
    assert len(labels[md.EXAMPLE_INDEX]) == min(8, len(np.flatnonzero((targets == 1) & (probs.argmax(1) == 1))))
    assert md.THUMBNAILS not in labels and len(index) > 0

    for route, code in [
        ("examples?run=a&tag=val&step=7&true=0", 400),
        ("examples?run=a&tag=val&step=7&true=x&pred=0", 400),
        ("examples?run=a&tag=val&step=7&true=-1&pred=0", 400),
        ("examples?run=a&tag=val&true=0&pred=0", 400),
        ("examples?run=a&tag=val&step=7&true=4&pred=0", 404),
        ("examples?run=a&tag=val&step=8&true=0&pred=0", 404),
        ("examples?run=zz&tag=val&step=7&true=0&pred=0", 404),
        ("examples?run=a&tag=damaged&step=0&true=0&pred=0", 422),
    ]:
        status, body, content_type = tb.get(tb.plugin(PLUGIN, route))
        assert status == code, (route, status, body)
        assert content_type.startswith("application/json") and b"error" in body, (route, body)
