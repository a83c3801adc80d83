"""Browser fixtures. TensorBoard itself comes from `tests/conftest.py::tensorboard_server`."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_helpers import XSS_NAME, write_labels, write_predictions


def _require_writer():
    tbs = pytest.importorskip("tb_suite")
    try:
        tbs.Writer, tbs.log_predictions  # noqa: B018 - lazy exports, may not exist yet
    except (AttributeError, ImportError) as error:
        pytest.skip(f"tb_suite predictions writer not available: {error}")


@pytest.fixture(scope="session")
def small_logdir(tmp_path_factory) -> Path:
    """Two runs, 6 classes (one named like an HTML injection), two steps; run_a with images and a
    labels-only tag."""
    _require_writer()
    root = tmp_path_factory.mktemp("predictions")
    names = ["cat", XSS_NAME, "dog", "bird", "fish", "frog"]
    write_predictions(root / "run_a", 6, images=True, class_names=names, seed=1)
    write_predictions(root / "run_b", 6, images=False, class_names=names, seed=2)
    write_labels(root / "run_a", "val_labels", 4)
    return root


@pytest.fixture(scope="session")
def big_logdir(tmp_path_factory) -> Path:
    """One run with a 1000-class record."""
    _require_writer()
    root = tmp_path_factory.mktemp("predictions1000")
    write_predictions(root / "big", 1000, steps=(0,), images=False, samples=20000)
    return root
