"""Logdirs the export tests read: landscape planes over steps (two runs, one tag named like HTML)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tb_suite as tbs
from tb_suite.landscape.slices import LineSlice, PlaneSlice

HTML_TAG = "<img src=x onerror=alert(1)>"
STEPS = (0, 10, 20, 30)


def plane_at(step: int, grid: int = 41) -> PlaneSlice:
    xs = np.linspace(-1, 1, grid)
    xx, yy = np.meshgrid(xs, xs)
    losses = (1 + step / 10) * (xx**2 + 2 * yy**2) + 0.1 * (xx > step / 30 - 0.5) + 0.25 + step / 100
    return PlaneSlice(xs, xs.copy(), losses, seed=0, center_loss=float(losses[grid // 2, grid // 2]))


@pytest.fixture(scope="session")
def landscape_logdir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("export_landscape")
    for run in ("a", "b"):
        with tbs.Writer(root / run) as writer:
            for step in STEPS:
                tbs.log_slice(writer, "plane", plane_at(step), step=step)
                alphas = np.linspace(-0.5, 1.5, 21)
                tbs.log_slice(writer, HTML_TAG, LineSlice(alphas, (alphas - 1) ** 2 + step), step=step)
    return root


@pytest.fixture(scope="session")
def tokens_logdir(tmp_path_factory) -> Path:
    from tests.tokens.helpers import write_lm_run

    root = tmp_path_factory.mktemp("export_tokens")
    write_lm_run(root / "lm_a", STEPS, batch=2, length=6, seed=1)
    write_lm_run(root / "lm_b", STEPS, batch=2, length=6, seed=2)
    return root


@pytest.fixture(scope="session")
def small_logdir(tmp_path_factory) -> Path:
    """Two predictions runs of 6 classes (one named like HTML), steps 0 and 10, with thumbnails in one."""
    from tests.browser.browser_helpers import XSS_NAME, write_predictions

    root = tmp_path_factory.mktemp("export_predictions")
    names = ["cat", XSS_NAME, "dog", "bird", "fish", "frog"]
    write_predictions(root / "run_a", 6, images=True, class_names=names, seed=1)
    write_predictions(root / "run_b", 6, images=False, class_names=names, seed=2)
    return root


@pytest.fixture(scope="session")
def attention_logdir(tmp_path_factory) -> Path:
    """One run: 2 layers x 3 heads, 2 examples of 8 tokens (the first named like HTML) sharpening over steps
    0, 10, 20, and head statistics with one masked head."""
    from tests.browser.browser_helpers import XSS_NAME

    layers, heads, length = 2, 3, 8
    root = tmp_path_factory.mktemp("export_attention")
    rng = np.random.default_rng(0)
    tokens = [XSS_NAME, *[f"tok{i}" for i in range(1, length)]]
    with tbs.Writer(root / "run_a") as writer:
        for k, step in enumerate((0, 10, 20)):
            logits = rng.normal(size=(layers, 2, heads, length, length)) * (1 + 2 * k)
            weights = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
            tbs.log_attention(writer, "encoder", weights.astype(np.float32), tokens=tokens, step=step)
            mask = np.zeros((layers, heads))
            mask[1, 0] = 1
            tbs.log_head_stats(
                writer,
                "heads",
                step=step,
                entropy=rng.random((layers, heads)) + k,
                importance=rng.random((layers, heads)),
                mask=mask,
            )
    return root
