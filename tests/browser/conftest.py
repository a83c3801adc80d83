"""Browser fixtures. TensorBoard itself comes from `tests/conftest.py::tensorboard_server`."""

from __future__ import annotations

from pathlib import Path

import pytest

from browser_helpers import CHROMIUM, XSS_NAME, launch_chromium, write_labels, write_predictions


def _require_writer():
    tbs = pytest.importorskip("tb_suite")
    try:
        tbs.Writer, tbs.log_predictions  # noqa: B018 - lazy exports, may not exist yet
    except (AttributeError, ImportError) as error:
        pytest.skip(f"tb_suite predictions writer not available: {error}")


BUNDLE = Path(__file__).resolve().parents[2] / "tb_suite" / "_frontend" / "predictions" / "index.js"


@pytest.fixture(scope="session")
def chromium():
    assert BUNDLE.exists(), f"{BUNDLE} is missing: run `npm ci && npm run build` in frontend/"
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    with sync_api.sync_playwright() as p:
        context = launch_chromium(p)
        yield context
        context.close()


@pytest.fixture
def page(chromium):
    """A new tab that fails the test on any page error or dialog (an executed alert() included)."""
    page = chromium.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    yield page
    page.close()
    assert not problems, problems


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
