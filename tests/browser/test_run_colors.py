"""Issue 12 item 2: a run has one colour in every tb-suite tab, and it is the colour TensorBoard's own runs
table gives it (TensorBoard colours runs by their position in its run list, ordered by first-event time)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from browser_helpers import screenshot, write_predictions

pytestmark = pytest.mark.browser

# Written in this order, so TensorBoard's order (first-event time) is not the name order.
RUNS = ("zeta", "alpha", "mid")

SWATCHES_JS = """
(root) => Object.fromEntries([...root.querySelectorAll('label')].map(
  (l) => [l.textContent.trim(), getComputedStyle(l.querySelector('.tbs-swatch')).backgroundColor]))
"""


@pytest.fixture(scope="module")
def colour_logdir(tmp_path_factory):
    import tb_suite as tbs
    from tb_suite.landscape.slices import LineSlice

    root = tmp_path_factory.mktemp("run_colours")
    alphas = np.linspace(-0.5, 1.5, 21)
    for k, run in enumerate(RUNS):
        write_predictions(root / run, 3, steps=(0,), images=False, seed=k)
        with tbs.Writer(root / run) as writer:
            tbs.log_slice(writer, "line", LineSlice(alphas, (alphas - 1) ** 2 + k), step=0)
        time.sleep(1.05)  # distinct first-event times
    return root


def _tensorboard_colours(page, url: str) -> dict:
    """Run -> colour as TensorBoard's own runs table (Time Series dashboard) shows it."""
    page.goto(f"{url}/#timeseries")
    page.locator(".run-color-swatch").nth(len(RUNS) - 1).wait_for(timeout=30000)
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('.run-color-swatch')].map(
          (b) => [b.parentElement.parentElement.parentElement.textContent.trim(), getComputedStyle(b).backgroundColor]))"""
    )


def _tab_colours(page, url: str, plugin: str) -> dict:
    page.goto(f"{url}/data/plugin_entry.html?name={plugin}")
    picker = page.get_by_test_id("run-picker")
    picker.locator("label").nth(len(RUNS) - 1).wait_for(timeout=30000)
    # The colours settle once TensorBoard's run list has arrived.
    page.wait_for_timeout(500)
    return picker.evaluate(SWATCHES_JS)


def test_one_colour_per_run_matching_tensorboard(page, tensorboard_server, colour_logdir):
    tb = tensorboard_server(colour_logdir)
    assert tb.get_json("/data/runs") == list(RUNS)
    expected = _tensorboard_colours(page, tb.url)
    assert set(expected) == set(RUNS) and len(set(expected.values())) == len(RUNS)
    screenshot(page, "run_colours_tensorboard")

    predictions = _tab_colours(page, tb.url, "tbs_predictions")
    screenshot(page, "run_colours_predictions")
    landscape = _tab_colours(page, tb.url, "tbs_landscape")
    screenshot(page, "run_colours_landscape")
    assert predictions == expected
    assert landscape == expected
    # The line chart draws each run in its colour: its legend swatches carry the same colours.
    legend = page.get_by_test_id("line-view").locator(".tbs-legend .tbs-legend-swatch line")
    legend.first.wait_for(state="attached", timeout=15000)
    drawn = {c for c in legend.evaluate_all("(els) => els.map((e) => getComputedStyle(e).stroke)")}
    assert set(expected.values()) <= drawn
