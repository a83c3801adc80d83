"""The predictions demo, shrunk: both runs get the same tags and steps, so the tab can overlay and diff them."""

from __future__ import annotations

from demos import predictions_demo

PLUGIN = "tbs_predictions"


def test_the_demo_writes_a_lightning_run_and_a_plain_run_with_matching_steps(tmp_path, read_run):
    predictions_demo.run(str(tmp_path), epochs=2, train_size=320, val_size=100)

    cnn = read_run(tmp_path / "predictions" / "cnn")
    mlp = read_run(tmp_path / "predictions" / "mlp")
    assert cnn.plugin_tags(PLUGIN) == ["val"]
    assert mlp.plugin_tags(PLUGIN) == ["train", "val"]
    assert cnn.steps("val") == mlp.steps("val") == mlp.steps("train") == [5, 10]  # 320 / 64 steps per epoch
    for run in (cnn, mlp):
        meta, arrays = run.record(PLUGIN, "val", 10)
        assert meta["class_names"] == predictions_demo.CLASSES
        assert meta["has_images"] and arrays["thumbnails"].shape[0] > 0
        assert int(arrays["confusion"].sum()) == 100
    assert {"train/loss", "val/loss", "val/accuracy", "val/macro_auc"} <= cnn.scalar_tags() & mlp.scalar_tags()
